import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { connectDrachtio, disconnectDrachtio } from '../../src/sip/drachtio.js';
import { freePort } from '../main/spawn.js';

/**
 * A stand-in for drachtio-server's admin socket: answers `authenticate` (OK for `secret`, else NOK) and counts
 * connections. Enough for the connect path; SIP itself is the e2e suite's.
 */
async function fakeDrachtio(port: number, secret = 'cymru'): Promise<{ connections: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { connections: 0 };
  const server: Server = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    let buf = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (;;) {
        const hash = buf.indexOf('#');
        if (hash < 0) return;
        const len = Number(buf.slice(0, hash));
        if (buf.length < hash + 1 + len) return;
        const msg = buf.slice(hash + 1, hash + 1 + len);
        buf = buf.slice(hash + 1 + len);
        const [id, verb, given] = msg.split('|');
        if (verb !== 'authenticate') continue;
        const body = `srv-${id}|response|${id}|${given === secret ? 'OK|udp/127.0.0.1:5060|v0.8.26' : 'NOK'}`;
        s.write(`${Buffer.byteLength(body)}#${body}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    get connections() {
      return state.connections;
    },
    close: async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

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
