import type { LiveKpis, LiveKpiSource, LiveReadOptions } from './types.js';

/**
 * A live KPI source with something added to each reading (the peak plan's level, the overdue reviews' alert).
 * The read options pass through (the wallboard's pushes ask for a fresh reading), and the same reading with the
 * same addition gives the same object back, so whoever caches by reading (the /api/kpis/live body, made once per
 * reading) keeps its cache: a new object per request would cost the ~200 KiB serialisation every time.
 */
export function decorateLive<E>(source: LiveKpiSource, extra: () => Promise<E>, apply: (k: LiveKpis, e: E) => LiveKpis): LiveKpiSource {
  let last: { k: LiveKpis; e: E; out: LiveKpis } | undefined;
  return {
    live: async (opts?: LiveReadOptions): Promise<LiveKpis> => {
      const [k, e] = await Promise.all([source.live(opts), extra()]);
      if (last && last.k === k && Object.is(last.e, e)) return last.out;
      const out = apply(k, e);
      last = { k, e, out };
      return out;
    },
  };
}
