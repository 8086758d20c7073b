import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { MediaServerConnection } from '../../src/media/media-server.js';
import { DEFAULT_MEDIA_LIMITS } from '../../src/media/fsmrf-leg.js';
import { withTimeout } from '../../src/media/timeout.js';

/** A promise the test settles by hand, to deliver a result after the time-out fired. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

class FakeEndpoint extends EventEmitter {
  uuid = 'late-ep';
  local = { sdp: 'v=0' };
  destroyed = 0;
  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

class FakeDialog {
  destroyed = 0;
  destroy(): Promise<void> {
    this.destroyed++;
    return Promise.resolve();
  }
}

/** The slice of fsmrf's MediaServer that MediaServerConnection calls, answering only when the test says. */
class SlowMediaServer {
  endpoint = deferred<FakeEndpoint>();
  caller = deferred<{ endpoint: FakeEndpoint; dialog: FakeDialog }>();
  createEndpoint(): Promise<FakeEndpoint> {
    return this.endpoint.promise;
  }
  connectCaller(): Promise<{ endpoint: FakeEndpoint; dialog: FakeDialog }> {
    return this.caller.promise;
  }
}

function connection(ms: SlowMediaServer, clock: VirtualClock): MediaServerConnection {
  // The constructor is private (connect() builds it over a real fsmrf connection); tests hand it a fake server.
  const Ctor = MediaServerConnection as unknown as new (...a: unknown[]) => MediaServerConnection;
  return new Ctor(ms, clock, DEFAULT_MEDIA_LIMITS, 1000);
}

describe('withTimeout: a late result is released, not dropped', () => {
  it('hands a result that arrives after the time-out to onLate, and only then', async () => {
    const clock = new VirtualClock();
    const released: string[] = [];
    const slow = deferred<string>();
    const p = withTimeout(slow.promise, 500, clock, 'createEndpoint', { onLate: (v) => void released.push(v) }).catch((e: unknown) => e);
    await clock.advanceAsync(500);
    expect(await p).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    expect(released).toEqual([]);
    slow.resolve('endpoint-1');
    await flushMicrotasks();
    expect(released).toEqual(['endpoint-1']);

    // On time: the caller owns it; onLate is not called.
    const onTime = await withTimeout(Promise.resolve('endpoint-2'), 500, clock, 'x', { onLate: (v) => void released.push(v) });
    expect(onTime).toBe('endpoint-2');
    expect(released).toEqual(['endpoint-1']);
  });

  it('a failing release hook does not escape (no unhandled rejection)', async () => {
    const clock = new VirtualClock();
    const slow = deferred<number>();
    const p = withTimeout(slow.promise, 10, clock, 'x', { onLate: () => Promise.reject(new Error('already gone')) }).catch(() => 'timeout');
    await clock.advanceAsync(10);
    expect(await p).toBe('timeout');
    slow.resolve(1);
    await flushMicrotasks();
  });
});

describe('MediaServerConnection: endpoints that come after the time-out', () => {
  it('destroys a seat endpoint created after createEndpoint timed out', async () => {
    const clock = new VirtualClock();
    const ms = new SlowMediaServer();
    const conn = connection(ms, clock);
    let failures = 0;
    conn.onSetupFailure(() => failures++);
    const p = conn.legForRemoteSdp('v=0').catch((e: unknown) => e);
    await clock.advanceAsync(1000);
    expect(await p).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    expect(failures).toBe(1);
    const ep = new FakeEndpoint();
    ms.endpoint.resolve(ep);
    await flushMicrotasks();
    expect(ep.destroyed).toBe(1);
  });

  it('destroys both the endpoint and the caller dialog of a connectCaller that completes late', async () => {
    const clock = new VirtualClock();
    const ms = new SlowMediaServer();
    const conn = connection(ms, clock);
    const p = conn.connectCaller({} as never, {} as never).catch((e: unknown) => e);
    await clock.advanceAsync(1000);
    expect(await p).toMatchObject({ code: 'MEDIA_TIMEOUT' });
    const endpoint = new FakeEndpoint();
    const dialog = new FakeDialog();
    ms.caller.resolve({ endpoint, dialog });
    await flushMicrotasks();
    expect(endpoint.destroyed).toBe(1);
    expect(dialog.destroyed).toBe(1);
  });
});
