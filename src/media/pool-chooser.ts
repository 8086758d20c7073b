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
  /** Its event socket's answer time now (ms, ServerSlot.controlLagMs); undefined with pings off or before the first. */
  controlLagMs?: number | undefined;
}

/**
 * Idle CPU is compared in bands this wide: heartbeat figures are seconds old and jitter by a few percent, so two
 * servers within a band count as equally loaded and the session count decides (it moves with every set-up).
 */
export const CPU_BAND = 10;

/**
 * Control lag is compared in bands this wide (ms): a few tens of ms of jitter say nothing, but a server whose event
 * socket takes a quarter of a second longer to answer is falling behind its calls (its heartbeat, and with it its
 * idle-CPU figure, comes seconds late then), so it ranks below a quicker one whatever its last heartbeat said.
 */
export const LAG_BAND_MS = 250;

/**
 * The least-loaded of `healthy` servers, or undefined when there is none. Servers backing off after a failed set-up
 * only when all are. Then: lowest control-lag band; highest idle-CPU band; fewest sessions; lowest index (a stable
 * order for equal servers). While any candidate's lag or idle CPU is unknown (pings off, connected and not measured
 * yet) that figure is left out for all of them, so an order exists that does not depend on which figures happen to
 * be missing.
 */
export function chooseServer(healthy: readonly ServerLoad[]): ServerLoad | undefined {
  const fresh = healthy.filter((s) => !s.backingOff);
  const pool = fresh.length > 0 ? fresh : healthy;
  if (pool.length === 0) return undefined;
  const useCpu = pool.every((s) => s.cpuIdle !== undefined);
  const useLag = pool.every((s) => s.controlLagMs !== undefined);
  const band = (s: ServerLoad): number => (useCpu ? Math.floor((s.cpuIdle ?? 0) / CPU_BAND) : 0);
  const lagBand = (s: ServerLoad): number => (useLag ? Math.floor((s.controlLagMs ?? 0) / LAG_BAND_MS) : 0);
  let best = pool[0]!;
  for (const s of pool.slice(1)) {
    const d = lagBand(best) - lagBand(s) || band(s) - band(best) || best.sessions - s.sessions || best.index - s.index;
    if (d > 0) best = s;
  }
  return best;
}
