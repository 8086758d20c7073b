/**
 * Which media server takes the next call: pure, so it is tested without FreeSWITCH (src/media/media-pool.ts feeds it).
 */
export interface ServerLoad {
  index: number;
  /** Idle CPU in percent from the server's last HEARTBEAT; undefined before the first one. */
  cpuIdle: number | undefined;
  /**
   * Sessions as far as this process can tell: the heartbeat's Session-Count, plus the legs this process set up
   * there since that heartbeat, plus its set-ups still under way. Heartbeats are seconds apart; without the last two
   * a burst would all land on the server that looked emptiest at the last beat.
   */
  sessions: number;
  /** A set-up there failed or timed out within MEDIA_BACKOFF_MS: used only when every healthy server is backing off. */
  backingOff: boolean;
}

/**
 * Idle CPU is compared in bands this wide: heartbeat figures are seconds old and jitter by a few percent, so two
 * servers within a band count as equally loaded and the session count decides (it moves with every set-up).
 */
export const CPU_BAND = 10;

/**
 * The least-loaded of `healthy` servers, or undefined when there is none. Servers backing off after a failed set-up
 * only when all are. Then: highest idle-CPU band; fewest sessions; lowest index (a stable order for equal servers).
 * While any candidate's idle CPU is unknown (connected, no heartbeat yet) CPU is left out for all of them and the
 * session count alone decides, so an order exists that does not depend on which figures happen to be missing.
 */
export function chooseServer(healthy: readonly ServerLoad[]): ServerLoad | undefined {
  const fresh = healthy.filter((s) => !s.backingOff);
  const pool = fresh.length > 0 ? fresh : healthy;
  if (pool.length === 0) return undefined;
  const useCpu = pool.every((s) => s.cpuIdle !== undefined);
  const band = (s: ServerLoad): number => (useCpu ? Math.floor((s.cpuIdle ?? 0) / CPU_BAND) : 0);
  let best = pool[0]!;
  for (const s of pool.slice(1)) {
    const d = band(s) - band(best) || best.sessions - s.sessions || best.index - s.index;
    if (d > 0) best = s;
  }
  return best;
}
