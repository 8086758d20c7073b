import { createServer, type Server, type Socket } from 'node:net';

/**
 * A stand-in for drachtio-server's admin socket: answers `authenticate` (OK for `secret`, else NOK) and counts
 * connections. Enough for the connect path; SIP itself is the e2e suite's.
 */
export async function fakeDrachtio(port: number, secret = 'cymru'): Promise<{ connections: number; close(): Promise<void> }> {
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

