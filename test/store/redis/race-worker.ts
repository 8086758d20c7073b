/**
 * One ACD instance in its own process, for the race test: renews its lease, reaps and ticks like a real server,
 * enqueues the calls the parent sends, consumes ITS offer inbox, answers every offer and (in 'normal' mode) ends
 * the call a moment later, which frees the agent for the next match. In 'hold' mode it answers and never hangs up,
 * so the parent can kill it while it holds agents. Run with `node --import tsx`.
 */
import type { CallRequest, Offer } from '../../../src/acd/model.js';
import { SystemClock } from '../../../src/core/clock.js';
import { RedisAcdStore } from '../../../src/store/redis/acd-store.js';
import { connectAcdRedis } from '../../../src/store/redis/connection.js';

type Msg = { type: 'enqueue'; calls: CallRequest[] } | { type: 'mode'; mode: 'normal' | 'hold' } | { type: 'stop' };

const [hotlineId, instance, leaseMsArg, url] = process.argv.slice(2) as [string, string, string, string];
const leaseMs = Number(leaseMsArg);
const send = (m: unknown): void => {
  process.send?.(m);
};

async function main(): Promise<void> {
  const redis = await connectAcdRedis(url);
  const blocking = await connectAcdRedis(url);
  const store = new RedisAcdStore({ redis, hotlineId, clock: new SystemClock(), leaseMs });
  let mode: 'normal' | 'hold' = 'normal';
  let stopping = false;
  const seen = new Set<string>();
  const failures: string[] = [];
  const note = (e: unknown): void => {
    failures.push(String((e as Error).message ?? e));
  };

  await store.renewLease(instance);
  const renew = setInterval(() => {
    store.renewLease(instance).catch(note);
  }, Math.floor(leaseMs / 4));
  const housekeeping = setInterval(() => {
    store.reap().then(() => store.tick()).catch(note);
  }, 100);

  const handle = async (o: Offer): Promise<void> => {
    if (seen.has(o.callId)) failures.push(`offer for ${o.callId} received twice`);
    seen.add(o.callId);
    if (o.ownerInstance !== instance) failures.push(`offer for ${o.callId} owned by ${o.ownerInstance} reached ${instance}`);
    send({ type: 'offer', offer: o });
    await store.markRinging(o.callId);
    await store.answer(o.callId);
    if (mode === 'hold') return;
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
    await store.endCall(o.callId);
  };

  const consume = async (): Promise<void> => {
    while (!stopping) {
      const first = await store.waitOffer(blocking, instance, 0.05);
      if (!first) continue;
      const more = await store.takeOffers(instance, 200);
      for (const o of [first, ...more]) handle(o).catch(note);
    }
  };
  const consuming = consume().catch(note);

  process.on('message', (m: Msg) => {
    if (m.type === 'mode') mode = m.mode;
    else if (m.type === 'enqueue') {
      void (async () => {
        // A server enqueues calls as they come, many in flight at once.
        for (let i = 0; i < m.calls.length; i += 25) {
          await Promise.all(m.calls.slice(i, i + 25).map((c) => store.enqueue(c).catch(note)));
        }
        send({ type: 'enqueued', n: m.calls.length });
      })();
    } else if (m.type === 'stop') {
      stopping = true;
      clearInterval(renew);
      clearInterval(housekeeping);
      void consuming.then(async () => {
        send({ type: 'stopped', failures, seen: seen.size });
        blocking.disconnect();
        await redis.quit();
        process.exit(0);
      });
    }
  });
  send({ type: 'ready' });
}

main().catch((e: unknown) => {
  send({ type: 'fatal', error: String(e) });
  process.exit(1);
});
