import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AcdEvent } from '../../src/acd/events.js';
import type { AcdEventSource } from '../../src/store/pg/acd-events.js';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP receiver (node:http): `respond` decides each answer (status, or 'hang' to never answer). */
export class Receiver {
  readonly got: Received[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;
  url = '';

  constructor(public respond: (n: number) => number | 'hang') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const a = this.respond(this.got.length);
        if (a === 'hang') {
          this.hanging.add(res);
          return;
        }
        res.statusCode = a;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** A URL nothing listens on (a port opened and closed again). */
export async function deadUrl(): Promise<string> {
  const r = await new Receiver(() => 200).start();
  const url = r.url;
  await r.close();
  return url;
}

/** RedisAcdStore.readEvents over a list: entries "n-0", each holding one operation's events. */
export class ListSource implements AcdEventSource {
  entries: { id: string; events: AcdEvent[] }[] = [];
  push(...events: AcdEvent[]): void {
    this.entries.push({ id: `${this.entries.length + 1}-0`, events });
  }
  readEvents(after: string, count = 10_000): Promise<{ id: string; event: AcdEvent }[]> {
    const n = after === '0' ? 0 : Number(after.split('-')[0]);
    return Promise.resolve(this.entries.slice(n, n + count).flatMap((e) => e.events.map((event) => ({ id: e.id, event }))));
  }
}

/** Resolve once `cond` holds (real time: the receiver is a real socket), or fail after `ms`. */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
