/**
 * How far behind a media server's control plane is: the delay FreeSWITCH itself adds before it runs a command on its
 * event socket. Pure: ServerSlot (server-slot.ts) sends the pings and feeds the answers in.
 *
 * Each ping (`api uptime us`) comes back with FreeSWITCH's own monotonic clock at the moment it ran the command. The
 * difference between that reading and the app's clock at the send is a fixed offset plus the delay before it ran;
 * the smallest difference seen is the offset (plus the network's own minimum), so each answer's excess over it is
 * FreeSWITCH's delay alone. A plain round trip would also count the time the answer waits for this process's own
 * event loop: on the load bench at the app's own limit (loop 0.9 busy) round trips of 0.7–1.1 s came from the app,
 * not from FreeSWITCH, and shed calls as `media-slow` that `app-busy` already accounted for.
 *
 * - A server that gives no clock reading is measured by the round trip instead.
 * - A delay already there at the first answer reads as offset until a quicker answer shows the true one: the lag is
 *   measured against the server's best since it was connected.
 * - The smallest difference may creep up by DRIFT_PER_MS (50 ppm) per ms between answers: two hosts' clocks drift,
 *   and a stale minimum would read the drift as delay. A sustained delay is absorbed only that slowly (3 ms a minute).
 * - The delay can never exceed the round trip; when it seems to (this process's clock stepped back), the minimum is
 *   taken again from this answer.
 * - While a ping is out, its age counts if longer than the last reading: a server that has stopped answering shows
 *   it at once, not when (if) its answer comes. That age includes this process's delay too, but only until the answer
 *   arrives and says which part was FreeSWITCH's.
 */
export const DRIFT_PER_MS = 50e-6;

export class ControlLag {
  private sentAt: number | undefined;
  private last: number | undefined;
  /** The smallest (server clock − send time) seen, and when it was last updated (for the drift allowance). */
  private minSkew: number | undefined;
  private minAt = 0;

  /** A ping went out at `at` (this process's clock, ms). */
  sent(at: number): void {
    this.sentAt = at;
  }

  /** Whether a ping is out. */
  get waiting(): boolean {
    return this.sentAt !== undefined;
  }

  /** The ping out was answered at `at`; `serverClockMs` is the server's clock when it ran it (undefined: none given). */
  answered(at: number, serverClockMs: number | undefined): void {
    const sentAt = this.sentAt;
    if (sentAt === undefined) return;
    this.sentAt = undefined;
    const rtt = Math.max(0, at - sentAt);
    if (serverClockMs === undefined || !Number.isFinite(serverClockMs)) {
      this.last = rtt;
      return;
    }
    const skew = serverClockMs - sentAt;
    const allowed = this.minSkew === undefined ? undefined : this.minSkew + DRIFT_PER_MS * Math.max(0, sentAt - this.minAt);
    if (allowed === undefined || skew < allowed) {
      this.minSkew = skew;
      this.minAt = sentAt;
      this.last = 0;
      return;
    }
    const delay = skew - allowed;
    if (delay > rtt) {
      // Impossible unless this process's clock stepped back since the minimum was taken: start again from here.
      this.minSkew = skew;
      this.minAt = sentAt;
      this.last = 0;
      return;
    }
    // Whole ms: the drift allowance leaves fractions that mean nothing at this scale.
    this.last = Math.round(delay);
  }

  /** The ping out failed (an error, not an answer): nothing learnt. */
  failed(): void {
    this.sentAt = undefined;
  }

  /** The lag now (ms): the last reading, or a ping's age if longer; undefined before the first answer with none out long. */
  reading(now: number): number | undefined {
    const age = this.sentAt === undefined ? undefined : now - this.sentAt;
    if (this.last === undefined) return age !== undefined && age > 0 ? age : undefined;
    return Math.max(this.last, age ?? 0);
  }

  /** A new connection: nothing of the old one applies (its clock offset included). */
  reset(): void {
    this.sentAt = undefined;
    this.last = undefined;
    this.minSkew = undefined;
    this.minAt = 0;
  }
}
