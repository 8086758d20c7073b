import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import Mrf from 'drachtio-fsmrf';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { FsmrfLeg } from '../../src/media/fsmrf-leg.js';
import { MediaPool } from '../../src/media/media-pool.js';
import { fsmrfPoolServers, MediaServerConnection } from '../../src/media/media-server.js';

/**
 * A stand-in for FreeSWITCH's event socket speaking just enough ESL for fsmrf's connect: auth, the HEARTBEAT
 * subscription, `api sofia status`; the test sends heartbeats and closes connections.
 */
class FakeEsl {
  readonly server = net.createServer((s) => this.accept(s));
  readonly sockets: net.Socket[] = [];
  accepted = 0;
  constructor(
    private readonly opts: { secret?: string; profile?: boolean; dropAtOnce?: boolean } = {},
  ) {}

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  private accept(s: net.Socket): void {
    this.accepted++;
    this.sockets.push(s);
    s.on('error', () => undefined);
    if (this.opts.dropAtOnce) {
      s.destroy();
      return;
    }
    s.write('Content-Type: auth/request\n\n');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const cmd = buf.slice(0, i).split('\n')[0]!;
        buf = buf.slice(i + 2);
        this.command(s, cmd);
      }
    });
  }

  private command(s: net.Socket, cmd: string): void {
    const reply = (text: string): void => void s.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
    if (cmd.startsWith('auth ')) reply(cmd.slice(5) === (this.opts.secret ?? 'ClueCon') ? '+OK accepted' : '-ERR invalid');
    else if (cmd.startsWith('api sofia status')) {
      const body = this.opts.profile === false ? 'Name\tType\tData\tState\n0 profiles\n' : 'drachtio_mrf\tprofile\tsip:mod_sofia@127.0.0.1:5080\tRUNNING (0)\n';
      s.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
    } else reply('+OK');
  }

  heartbeat(idleCpu: string, sessions: string): void {
    const body = JSON.stringify({ 'Event-Name': 'HEARTBEAT', 'Core-UUID': 'core-1', 'Idle-CPU': idleCpu, 'Session-Count': sessions, 'Max-Sessions': '1000' });
    for (const s of this.sockets) s.write(`Content-Type: text/event-json\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves when `cond` holds, checked on each turn of the event loop (bounded by the test's own time-out). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

const fakes: FakeEsl[] = [];
const conns: MediaServerConnection[] = [];
afterEach(async () => {
  for (const c of conns.splice(0)) c.disconnect();
  for (const f of fakes.splice(0)) await f.close();
});

async function connect(fake: FakeEsl, secret = 'ClueCon'): Promise<{ conn: MediaServerConnection; listenPort: number }> {
  const port = await fake.listen();
  const listenPort = await freePort();
  const conn = await MediaServerConnection.connect(new Mrf({} as never), { host: '127.0.0.1', port, secret, listenAddress: '127.0.0.1', listenPort, connectTimeoutMs: 5000 }, new SystemClock(), silentLogger);
  conns.push(conn);
  return { conn, listenPort };
}

describe('MediaServerConnection over an event socket (fake FreeSWITCH)', () => {
  it('reports each HEARTBEAT with its load figures, and the end of the event socket', async () => {
    const fake = new FakeEsl();
    fakes.push(fake);
    const { conn } = await connect(fake);
    let beats = 0;
    const off = conn.onHeartbeat(() => beats++);
    fake.heartbeat('87.5', '12');
    await until(() => beats === 1);
    expect(conn.cpuIdle).toBe(87.5);
    expect(conn.currentSessions).toBe(12);
    off();
    fake.heartbeat('50', '1');
    await until(() => conn.cpuIdle === 50);
    expect(beats).toBe(1);

    const lost: string[] = [];
    conn.onLost((why) => lost.push(why));
    for (const s of fake.sockets) s.destroy();
    await until(() => lost.length > 0);
    expect(lost).toEqual(['event socket closed']);
  });

  it('does not reconnect by itself after the socket ends (the pool does), and disconnect frees the listen port', async () => {
    const fake = new FakeEsl();
    fakes.push(fake);
    const { conn, listenPort } = await connect(fake);
    const lost: string[] = [];
    conn.onLost((why) => lost.push(why));
    for (const s of fake.sockets) s.destroy();
    await until(() => lost.length > 0);
    conn.disconnect();
    // modesl's own reconnect would come within 150-255 ms; give it a few times that.
    await new Promise((r) => setTimeout(r, 800));
    expect(fake.accepted).toBe(1);
    const again = net.createServer().listen(listenPort, '127.0.0.1');
    await once(again, 'listening');
    await new Promise((r) => again.close(r));
  });

  it.each([
    ['a wrong secret', { secret: 'other' }, /authentication failed/],
    ['no drachtio_mrf SIP profile (fsmrf would throw uncaught)', { profile: false }, /no "drachtio_mrf" SIP profile/],
    ['a socket closed at once', { dropAtOnce: true }, /FreeSWITCH at 127\.0\.0\.1:\d+: /],
  ])('fails with MEDIA_UNAVAILABLE on %s, once, without retrying', async (_name, opts, message) => {
    const fake = new FakeEsl(opts);
    fakes.push(fake);
    const e = await connect(fake).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'MEDIA_UNAVAILABLE' });
    expect((e as Error).message).toMatch(message);
    await new Promise((r) => setTimeout(r, 800));
    expect(fake.accepted).toBe(1);
  });
});

describe('MediaPool over two fake event sockets (real modesl and fsmrf underneath)', () => {
  it('follows the heartbeats, takes a server out when its socket ends and back in when it answers again', async () => {
    const a = new FakeEsl();
    const b = new FakeEsl();
    fakes.push(a, b);
    const [pa, pb] = [await a.listen(), await b.listen()];
    const base = await freePort();
    const servers = [
      { name: `127.0.0.1:${pa}`, host: '127.0.0.1', port: pa, secret: 'ClueCon', listenPort: base },
      { name: `127.0.0.1:${pb}`, host: '127.0.0.1', port: pb, secret: 'ClueCon', listenPort: await freePort() },
    ];
    const clock = new SystemClock();
    const pool = new MediaPool<FsmrfLeg>(fsmrfPoolServers({} as never, servers, { listenAddress: '127.0.0.1', connectTimeoutMs: 5000 }, clock, silentLogger), clock, silentLogger, {
      heartbeatStaleMs: 60_000,
      backoffMs: 0,
      retryMinMs: 50,
    });
    try {
      await pool.start();
      expect(pool.healthyCount).toBe(2);
      a.heartbeat('40', '3');
      b.heartbeat('95', '7');
      await until(() => pool.cpuIdle === 95);
      expect(pool.servers().map((s) => [s.up, s.sessions, s.cpuIdle])).toEqual([[true, 3, 40], [true, 7, 95]]);

      for (const s of b.sockets) s.destroy();
      await until(() => pool.healthyCount === 1);
      expect(pool.cpuIdle).toBe(40);
      // The pool reconnects with a fresh connection (its old listener closed, so the port is free again).
      await until(() => pool.healthyCount === 2);
      expect(b.accepted).toBe(2);
    } finally {
      pool.close();
    }
  });
});
