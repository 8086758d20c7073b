import { describe, expect, it } from 'vitest';
import { decorateLive } from '../../src/kpi/decorate.js';
import type { LiveKpis, LiveKpiSource, LiveReadOptions } from '../../src/kpi/types.js';

/** A source handing out the reading it holds, recording the options it was asked with. */
function source(): LiveKpiSource & { reading: LiveKpis; asked: (LiveReadOptions | undefined)[] } {
  const s = {
    reading: { alerts: [] } as unknown as LiveKpis,
    asked: [] as (LiveReadOptions | undefined)[],
    live: (opts?: LiveReadOptions) => {
      s.asked.push(opts);
      return Promise.resolve(s.reading);
    },
  };
  return s;
}

describe('decorateLive (plan level, overdue reviews added to the live KPIs)', () => {
  it("passes the read options through: the wallboard's push still gets a fresh reading", async () => {
    const src = source();
    const d = decorateLive(src, () => Promise.resolve(1), (k) => k);
    await d.live({ fresh: true });
    await d.live();
    expect(src.asked).toEqual([{ fresh: true }, undefined]);
  });

  it('gives the same object for the same reading and addition, a new one when either changes', async () => {
    const src = source();
    let n = 2;
    const d = decorateLive(src, () => Promise.resolve(n), (k, e) => ({ ...k, alerts: [{ queueId: '*', kind: 'reviews-overdue', message: `${e}`, count: e }] }));
    const a = await d.live();
    expect(await d.live()).toBe(a);
    n = 3;
    const b = await d.live();
    expect(b).not.toBe(a);
    expect(b.alerts[0]!.count).toBe(3);
    src.reading = { alerts: [] } as unknown as LiveKpis;
    expect(await d.live()).not.toBe(b);
  });
});
