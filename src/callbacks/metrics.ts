import { Counter, Gauge, type Registry } from 'prom-client';

/** hotline_callbacks_overdue (open tasks past their deadline, read at scrape time) and flags raised since start. */
export function registerCallbackMetrics(registry: Registry, source: { overdue(): Promise<number> }): { flagged(n: number): void } {
  new Gauge({
    name: 'hotline_callbacks_overdue',
    help: 'Callback tasks still open past their working-day deadline',
    registers: [registry],
    async collect() {
      this.set(await source.overdue().catch(() => Number.NaN));
    },
  });
  const flagged = new Counter({ name: 'hotline_callbacks_flagged_overdue_total', help: 'Callback tasks flagged overdue (each once)', registers: [registry] });
  return { flagged: (n) => flagged.inc(n) };
}
