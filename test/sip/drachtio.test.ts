import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectDrachtio, disconnectDrachtio } from '../../src/sip/drachtio.js';
import { freePort } from '../main/spawn.js';
import { fakeDrachtio } from '../support/drachtio.js';

function warnings(): { list: { obj: Record<string, unknown>; msg: string | undefined }[]; log: typeof silentLogger } {
  const list: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
  return { list, log: { ...silentLogger, warn: (obj: unknown, msg?: string) => void list.push({ obj: obj as Record<string, unknown>, msg }) } };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('connectDrachtio (issue 9 item 12)', () => {
  it('waits for a drachtio-server that starts late, logging each failed attempt', async () => {
    const port = await freePort();
    const w = warnings();
    const connecting = connectDrachtio({ host: '127.0.0.1', port, secret: 'cymru', timeoutMs: 10_000 }, new SystemClock(), w.log);
    await new Promise((r) => setTimeout(r, 700));
    const server = await fakeDrachtio(port);
    cleanups.push(() => server.close());
    const srf = await connecting;
    cleanups.push(() => disconnectDrachtio(srf));
    expect(w.list.length).toBeGreaterThanOrEqual(1);
    expect(w.list[0]).toMatchObject({ msg: 'drachtio-server not reachable yet; retrying', obj: { attempt: 1, drachtio: `127.0.0.1:${port}` } });
    expect(String(w.list[0]!.obj.error)).toContain('ECONNREFUSED');
  });

  it('gives up after timeoutMs with DRACHTIO_UNAVAILABLE, and stops retrying', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(connectDrachtio({ host: '127.0.0.1', port, secret: 'cymru', timeoutMs: 800 }, new SystemClock(), silentLogger)).rejects.toMatchObject({
      code: 'DRACHTIO_UNAVAILABLE',
      message: `cannot connect to drachtio-server at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (gave up after 800 ms)`,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    // A server that appears afterwards gets no connection: the retry loop is really stopped.
    const server = await fakeDrachtio(port);
    cleanups.push(() => server.close());
    await new Promise((r) => setTimeout(r, 2_500));
    expect(server.connections).toBe(0);
  });

  it('a wrong secret fails at once, naming DRACHTIO_SECRET', async () => {
    const port = await freePort();
    const server = await fakeDrachtio(port, 'right-secret');
    cleanups.push(() => server.close());
    const started = Date.now();
    await expect(connectDrachtio({ host: '127.0.0.1', port, secret: 'cymru', timeoutMs: 10_000 }, new SystemClock(), silentLogger)).rejects.toMatchObject({
      code: 'DRACHTIO_UNAVAILABLE',
      message: `drachtio-server at 127.0.0.1:${port} refused the secret (check DRACHTIO_SECRET)`,
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
