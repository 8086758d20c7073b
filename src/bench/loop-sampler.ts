import { parsePromText } from './prom-text.js';

/**
 * The app's event loop during a load step, read off its /metrics every couple of seconds: the utilisation admission
 * control sheds on (hotline_event_loop_utilization, smoothed) and prom-client's lag p99
 * (hotline_nodejs_eventloop_lag_p99_seconds, how late its timers fired). Printed beside each hotline step so that a
 * step refused as `app-busy` shows how busy, and how late, the loop really was.
 */
export interface LoopSummary {
  samples: number;
  busyMean: number;
  busyMax: number;
  /** The worst lag p99 seen (ms). */
  lagP99MaxMs: number;
  /** Of how many app instances, when more than one (each figure is then the busiest instance's). */
  instances?: number;
  /** The media servers' control lag (ms; the slowest server at each reading): mean and worst, when the app reports it. */
  mediaLagMeanMs?: number;
  mediaLagMaxMs?: number;
}

export interface LoopReading {
  busy?: number;
  lagP99Sec?: number;
  /** The slowest media server's control lag at this reading (seconds). */
  mediaLagSec?: number;
}

const BUSY = 'hotline_event_loop_utilization';
const LAG_P99 = 'hotline_nodejs_eventloop_lag_p99_seconds';
const MEDIA_LAG = 'hotline_media_server_control_lag_seconds{';

/** The gauges in a Prometheus text page (absent ones are undefined). */
export function loopReading(text: string): LoopReading {
  const series = parsePromText(text, 'hotline_');
  const busy = series[BUSY];
  const lagP99Sec = series[LAG_P99];
  const media = Object.entries(series)
    .filter(([k]) => k.startsWith(MEDIA_LAG))
    .map(([, v]) => v);
  const mediaLagSec = media.length > 0 ? Math.max(...media) : undefined;
  return { ...(busy !== undefined ? { busy } : {}), ...(lagP99Sec !== undefined ? { lagP99Sec } : {}), ...(mediaLagSec !== undefined ? { mediaLagSec } : {}) };
}

export function summarise(readings: LoopReading[]): LoopSummary | undefined {
  const busy = readings.map((r) => r.busy).filter((x): x is number => x !== undefined);
  const lag = readings.map((r) => r.lagP99Sec).filter((x): x is number => x !== undefined);
  const media = readings.map((r) => r.mediaLagSec).filter((x): x is number => x !== undefined);
  if (busy.length === 0) return undefined;
  return {
    samples: busy.length,
    busyMean: round2(busy.reduce((a, b) => a + b, 0) / busy.length),
    busyMax: round2(Math.max(...busy)),
    lagP99MaxMs: lag.length > 0 ? Math.round(Math.max(...lag) * 1000) : 0,
    ...(media.length > 0 ? { mediaLagMeanMs: Math.round((media.reduce((a, b) => a + b, 0) / media.length) * 1000), mediaLagMaxMs: Math.round(Math.max(...media) * 1000) } : {}),
  };
}

/**
 * Several instances' summaries as one, the busiest instance's figures (each sheds on its own loop, so the step is
 * refused as `app-busy` as soon as one of them is busy). Undefined when none answered.
 */
export function combineLoops(each: ReadonlyArray<LoopSummary | undefined>): LoopSummary | undefined {
  const got = each.filter((x): x is LoopSummary => x !== undefined);
  if (got.length === 0) return undefined;
  if (each.length === 1) return got[0];
  return {
    samples: got.reduce((n, x) => n + x.samples, 0),
    busyMean: Math.max(...got.map((x) => x.busyMean)),
    busyMax: Math.max(...got.map((x) => x.busyMax)),
    lagP99MaxMs: Math.max(...got.map((x) => x.lagP99MaxMs)),
    ...maxOf('mediaLagMeanMs', got),
    ...maxOf('mediaLagMaxMs', got),
    instances: each.length,
  };
}

/** Polls `url` every `everyMs` until stop(); stop() resolves with the summary (undefined when nothing answered). */
export function sampleLoop(url: string, everyMs = 2_000): { stop(): Promise<LoopSummary | undefined> } {
  const readings: LoopReading[] = [];
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(everyMs) });
        if (res.ok) readings.push(loopReading(await res.text()));
      } catch {
        // The app is too busy to answer in time: that step's other figures say so.
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
  const running = poll();
  return {
    async stop() {
      stopped = true;
      await running;
      return summarise(readings);
    },
  };
}

/** The largest of one optional figure over several summaries, as a field, or nothing when none has it. */
function maxOf(key: 'mediaLagMeanMs' | 'mediaLagMaxMs', got: readonly LoopSummary[]): Partial<LoopSummary> {
  const xs = got.map((x) => x[key]).filter((x): x is number => x !== undefined);
  return xs.length > 0 ? { [key]: Math.max(...xs) } : {};
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
