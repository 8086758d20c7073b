import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { basename } from 'node:path';
import type { Redis } from 'ioredis';
import { AcdError } from '../../src/acd/errors.js';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import type { QueueDefinition } from '../../src/acd/model.js';
import type { AcdStore, ReapResult } from '../../src/acd/store.js';
import type { AcdEvent } from '../../src/acd/events.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';
import { queue } from '../acd/fixtures.js';
import { testRedis, uniqueHotline } from '../support/redis.js';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { HotlineCalls, type QueuePolicy } from '../../src/call/hotline.js';
import { CallRegistry, type LiveCall } from '../../src/call/registry.js';
import type { CallDataSink, WaitEstimator } from '../../src/ivr/channel.js';
import type { Flow } from '../../src/ivr/spec.js';
import type { PromptFiles } from '../../src/call/media-channel.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { FlowReloader } from '../../src/ivr/watch.js';
import { MediaError } from '../../src/media/errors.js';
import type { CollectOptions, DtmfListener, GoneListener, MediaLeg } from '../../src/media/leg.js';
import { AcdBridge } from '../../src/call/acd-bridge.js';
import { CallError } from '../../src/call/errors.js';
import type { AnsweredSeat, CallRecordSink, DialogSignal, DirectMedia, MediaPeer, RingingSeat, SeatDialer } from '../../src/call/ports.js';
import type { CallRecord } from '../../src/call/record.js';
import type { CallSession, SessionDeps } from '../../src/call/session.js';

/**
 * A scripted call world on a VirtualClock: legs whose prompts take virtual time, seats that answer (or not) on
 * cue, the ACD store (MemoryAcdStore or RedisAcdStore on the real Redis, one hotline id per world), and calls run
 * the way production runs them: HotlineCalls → the IVR flow → its queue node → the CallSession.
 */
export const PLAY_MS_PER_FILE = 1000;

export class ScriptedLeg implements MediaLeg {
  gone = false;
  readonly events: string[] = [];
  /** Virtual time at which the far end starts speaking (undefined: never). */
  voiceAt: number | undefined;
  /** Digits the far end presses when asked to collect, after `digitAfterMs`. */
  digits = '';
  digitAfterMs = 500;
  /** Digits for successive collects, one entry each (before falling back to `digits`). */
  presses: string[] = [];
  private readonly goneFns = new Set<GoneListener>();
  private readonly dtmfFns = new Set<DtmfListener>();
  private readonly waiters = new Set<(e: Error) => void>();

  constructor(
    readonly id: string,
    private readonly clock: VirtualClock,
  ) {}

  private readonly breakers = new Set<() => void>();

  /** A media operation taking `ms`; stopAudio (uuid_break) ends it early, a hangup fails it. */
  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.waiters.delete(fail);
        this.breakers.delete(brk);
      };
      const fail = (e: Error): void => {
        this.clock.clearTimeout(h);
        done();
        reject(e);
      };
      const brk = (): void => {
        this.clock.clearTimeout(h);
        done();
        resolve();
      };
      const h = this.clock.setTimeout(() => {
        done();
        resolve();
      }, ms);
      this.waiters.add(fail);
      this.breakers.add(brk);
    });
  }

  private live(op: string): void {
    if (this.gone) throw new MediaError('MEDIA_GONE', op, 'gone');
  }

  async play(files: readonly string[]): Promise<void> {
    this.live('play');
    this.events.push(`play:${files.join('+')}`);
    await this.wait(PLAY_MS_PER_FILE * files.length);
  }

  async collect(opts: CollectOptions): Promise<string> {
    this.live('collect');
    this.events.push(`collect:${opts.prompts.join('+')}`);
    await this.wait(PLAY_MS_PER_FILE * opts.prompts.length);
    if (this.presses.length > 0) {
      await this.wait(this.digitAfterMs);
      return this.presses.shift()!;
    }
    if (this.digits === '') {
      await this.wait(opts.timeoutMs);
      return '';
    }
    await this.wait(this.digitAfterMs);
    return this.digits;
  }

  async record(file: string): Promise<{ seconds: number }> {
    this.live('record');
    this.events.push(`record:${file}`);
    await this.wait(1000);
    return { seconds: 1 };
  }

  async waitForVoice(timeoutMs: number): Promise<boolean> {
    this.live('waitForVoice');
    const now = this.clock.now();
    this.events.push(`listen:${timeoutMs}`);
    if (this.voiceAt !== undefined && this.voiceAt - now <= timeoutMs) {
      await this.wait(Math.max(0, this.voiceAt - now));
      return true;
    }
    await this.wait(timeoutMs);
    return false;
  }

  startBackground(file: string): Promise<void> {
    this.live('startBackground');
    this.events.push(`music:${file}`);
    return Promise.resolve();
  }

  /**
   * How long after stopAudio() the broken operations report back. FreeSWITCH answers uuid_break at once and the
   * application's completion comes later: an operation can still be pending when stopAudio() has returned.
   */
  stopLatencyMs = 0;

  stopAudio(): Promise<void> {
    if (!this.gone) this.events.push('stop');
    const breakers = [...this.breakers];
    if (this.stopLatencyMs === 0) for (const b of breakers) b();
    else this.clock.setTimeout(() => breakers.forEach((b) => b()), this.stopLatencyMs);
    return Promise.resolve();
  }

  recordSession(file: string): Promise<void> {
    this.live('recordSession');
    this.events.push(`record-session:${file}`);
    return Promise.resolve();
  }

  bridge(other: MediaLeg): Promise<void> {
    this.live('bridge');
    this.events.push(`bridge:${other.id}`);
    return Promise.resolve();
  }

  unbridge(): Promise<void> {
    this.events.push('unbridge');
    return Promise.resolve();
  }

  onDtmf(fn: DtmfListener): () => void {
    this.dtmfFns.add(fn);
    return () => this.dtmfFns.delete(fn);
  }

  onGone(fn: GoneListener): () => void {
    this.goneFns.add(fn);
    return () => this.goneFns.delete(fn);
  }

  /** Whether our side released the endpoint (the no-endpoint-left invariant). */
  released = false;

  release(): Promise<void> {
    this.released = true;
    this.hangUp('released');
    return Promise.resolve();
  }

  /** The far end hangs up: pending operations fail with MEDIA_GONE. */
  hangUp(reason = 'hangup'): void {
    if (this.gone) return;
    this.gone = true;
    this.events.push(`gone:${reason}`);
    for (const w of [...this.waiters]) w(new MediaError('MEDIA_GONE', 'op', 'gone'));
    this.waiters.clear();
    for (const fn of [...this.goneFns]) fn(reason);
  }

  /** A media failure (FreeSWITCH lost the channel): pending operations fail with MEDIA_FAILED, the leg is gone. */
  fail(): void {
    if (this.gone) return;
    this.gone = true;
    this.events.push('gone:media-error');
    for (const w of [...this.waiters]) w(new MediaError('MEDIA_FAILED', 'op', 'channel lost'));
    this.waiters.clear();
    for (const fn of [...this.goneFns]) fn('media-error');
  }

  press(d: string): void {
    for (const fn of [...this.dtmfFns]) fn(d);
  }
}

/**
 * The caller's dialog re-INVITEd (media release): `reinvite` answers a seat's offer after `reinviteMs`, `reanchor`
 * brings the caller back on a new ScriptedLeg after `reanchorMs`. Either can be set to refuse.
 */
export class ScriptedPeer implements MediaPeer {
  reinviteMs = 50;
  reanchorMs = 100;
  refuseReinvite = false;
  refuseReanchor = false;
  /** The offers the caller was re-INVITEd with, in order. */
  readonly reinvites: string[] = [];
  /** Legs the caller was brought back on, in order. */
  readonly anchored: ScriptedLeg[] = [];

  /** `caller`: the call's first leg; a leg brought back presses what the caller had left to press on it. */
  constructor(
    private readonly clock: VirtualClock,
    private readonly callId: string,
    private readonly caller: ScriptedLeg,
  ) {}

  private after(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  async reinvite(offerSdp: string): Promise<string> {
    this.reinvites.push(offerSdp);
    await this.after(this.reinviteMs);
    if (this.refuseReinvite) throw new Error('re-INVITE refused: 488');
    return `answer-to:${offerSdp}`;
  }

  async reanchor(): Promise<MediaLeg> {
    await this.after(this.reanchorMs);
    if (this.refuseReanchor) throw new MediaError('MEDIA_FAILED', 'reanchor', 'no media server');
    const leg = new ScriptedLeg(`caller-${this.callId}-${this.anchored.length + 2}`, this.clock);
    leg.presses = this.caller.presses;
    leg.digits = this.caller.digits;
    this.anchored.push(leg);
    return leg;
  }
}

export class FakeSignal implements DialogSignal {
  hangups = 0;
  media?: ScriptedPeer;
  /** What the SIP adapter would give (DialogSignal.ref); tests name the dialog to find it in the tracking entry. */
  ref?: Readonly<Record<string, string>>;
  private readonly fns = new Set<() => void>();
  hangup(): Promise<void> {
    this.hangups++;
    return Promise.resolve();
  }
  onHangup(fn: () => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  remoteBye(): void {
    for (const fn of [...this.fns]) fn();
  }
}

class SeatDialogFake extends FakeSignal {
  private readonly referFns = new Set<(t: string) => void>();
  onRefer(fn: (t: string) => void): () => void {
    this.referFns.add(fn);
    return () => this.referFns.delete(fn);
  }
  refer(target: string): void {
    for (const fn of [...this.referFns]) fn(target);
  }
}

export class FakeSeat extends SeatDialogFake implements AnsweredSeat {
  constructor(readonly leg: ScriptedLeg) {
    super();
  }

  /** The agent hangs up: BYE on the dialog, the media leg ends. */
  agentBye(): void {
    this.remoteBye();
    this.leg.hangUp('agent-bye');
  }
}

/** A seat whose media went straight to the caller (media release): no leg of ours. */
export class DirectSeat extends SeatDialogFake implements AnsweredSeat {
  readonly leg = undefined;

  agentBye(): void {
    this.remoteBye();
  }
}

/**
 * How a seat behaves when rung. `ourFailureAfterMs`: the seat answers after that long but our side fails to take
 * the answer (the media endpoint's set-up timed out under overload, as SipSeatDialer reports it).
 */
export type SeatScript = { answerAfterMs: number } | { ourFailureAfterMs: number } | 'never' | 'reject' | 'unreachable';

export class ScriptedSeats implements SeatDialer {
  readonly scripts = new Map<string, SeatScript>();
  readonly rung: string[] = [];
  /** The media leg each ring asked its seat leg to share a server with (MediaPlacement.mediaNear). */
  readonly mediaNear: Array<string | undefined> = [];
  readonly cancelled: string[] = [];
  readonly answered = new Map<string, FakeSeat>();
  /** Every seat leg created, for the no-endpoint-left invariant. */
  readonly legs: ScriptedLeg[] = [];
  /** Virtual time of each ring, in order. */
  readonly rungAt: number[] = [];
  /** Ringing INVITEs neither answered nor cancelled nor failed yet. */
  ringingNow = 0;
  /** The instance died: no INVITE goes out any more, and no answer reaches it. */
  dead = false;
  /** How each ring ended, per agent, in order: 'answered', 'cancelled' (by us), or the error's code. */
  readonly outcomes: Array<{ agentId: string; outcome: string }> = [];
  /** Settle the INVITE ringing now with a failure (a fault injected at the ringing step). */
  private current: ((err: unknown) => void) | undefined;

  constructor(private readonly clock: VirtualClock) {}

  /** Answers connected straight to the caller (DirectMedia gave a peer and the caller took the offer), by agent. */
  readonly direct = new Map<string, DirectSeat>();

  ring(agentId: string, call?: { mediaNear?: string; direct?: DirectMedia }): Promise<RingingSeat> {
    const script = this.scripts.get(agentId) ?? 'never';
    if (this.dead) return Promise.reject(new Error('instance dead'));
    if (script === 'unreachable') return Promise.reject(new CallError('SEAT_UNREACHABLE', agentId));
    this.rung.push(agentId);
    this.mediaNear.push(call?.mediaNear);
    this.rungAt.push(this.clock.now());
    this.ringingNow++;
    let settle!: { resolve: (s: AnsweredSeat) => void; reject: (e: unknown) => void };
    const answered = new Promise<AnsweredSeat>((resolve, reject) => (settle = { resolve, reject }));
    let cancelled = false;
    let final = false;
    const finish = (outcome: string): void => {
      if (!final) {
        this.ringingNow--;
        this.outcomes.push({ agentId, outcome });
      }
      final = true;
    };
    answered.then(
      () => finish('answered'),
      (e: unknown) => finish(cancelled ? 'cancelled' : ((e as { code?: string }).code ?? 'error')),
    );
    this.current = (err) => {
      this.clock.clearTimeout(timer);
      settle.reject(err);
    };
    let timer: ReturnType<VirtualClock['setTimeout']> | undefined;
    if (script === 'reject') {
      timer = this.clock.setTimeout(() => settle.reject(new CallError('SEAT_REJECTED', `seat of ${agentId} answered 486`, { agentId, status: 486 })), 500);
    } else if (script !== 'never' && 'ourFailureAfterMs' in script) {
      timer = this.clock.setTimeout(() => settle.reject(new MediaError('MEDIA_TIMEOUT', 'createEndpoint', 'media set-up timed out')), script.ourFailureAfterMs);
    } else if (script !== 'never') {
      timer = this.clock.setTimeout(() => {
        if (cancelled || this.dead) return;
        // As SipSeatDialer: the seat's offer to the caller when media is released (the anchored leg if the caller
        // refuses), else a media leg for the seat.
        const peer = call?.direct?.();
        const answer = async (): Promise<FakeSeat | DirectSeat> => {
          if (peer) {
            try {
              await peer.reinvite(`seat-offer-${agentId}`);
              const seat = new DirectSeat();
              this.direct.set(agentId, seat);
              return seat;
            } catch {
              // The caller refused the seat's offer: the seat is anchored as usual.
            }
          }
          const leg = new ScriptedLeg(`seat-${agentId}`, this.clock);
          this.legs.push(leg);
          const seat = new FakeSeat(leg);
          this.answered.set(agentId, seat);
          return seat;
        };
        answer().then((seat) => {
          seat.ref = { callId: `seat-dialog-${agentId}` };
          settle.resolve(seat);
        }, settle.reject);
      }, script.answerAfterMs);
    }
    return Promise.resolve({
      answered,
      cancel: () => {
        if (!cancelled) {
          cancelled = true;
          this.cancelled.push(agentId);
          this.clock.clearTimeout(timer);
          settle.reject(new CallError('SEAT_CANCELLED', agentId));
        }
        return Promise.resolve();
      },
    });
  }

  /** The INVITE ringing now ends with `err` (a fault at the ringing step); false when none rings. */
  failRinging(err: unknown): boolean {
    if (this.ringingNow === 0 || !this.current) return false;
    this.current(err);
    return true;
  }
}

export class MemoryRecords implements CallRecordSink {
  readonly records: CallRecord[] = [];
  /** A dead instance writes nothing. */
  dead = false;
  write(r: CallRecord): Promise<void> {
    if (!this.dead) this.records.push(r);
    return Promise.resolve();
  }
}

export type StoreKind = 'memory' | 'redis';
/** The call-layer tests run on both ACD stores (item 25): the in-process one and the Redis one production runs. */
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'redis'];

/** Which store operation to fail next (a Redis blip: STORE_UNAVAILABLE, the operation did not happen). */
export interface StoreFaults {
  /** Fail the next `count` calls of these operations (all operations when `ops` is empty). */
  blip(count: number, ops?: readonly string[]): void;
  /** Failures injected so far. */
  readonly injected: number;
  /** The instance died: none of its operations reaches the store any more. */
  kill(): void;
}

/**
 * The store as the world sees it: every promise an operation returns is tracked, so `settle()` waits for real
 * Redis round trips as well as microtasks before the virtual clock moves on; and blips can be injected.
 */
function tracked(store: AcdStore): { store: AcdStore; settle: () => Promise<void>; faults: StoreFaults } {
  const inflight = new Set<Promise<unknown>>();
  let blips = 0;
  let blipOps: readonly string[] = [];
  let injected = 0;
  let dead = false;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]): unknown => {
        if (dead) return Promise.reject(new AcdError('STORE_UNAVAILABLE', 'instance dead'));
        if (blips > 0 && (blipOps.length === 0 || blipOps.includes(String(prop)))) {
          blips--;
          injected++;
          const p = Promise.reject(new AcdError('STORE_UNAVAILABLE', `injected blip on ${String(prop)}`));
          const t = p.catch(() => undefined).finally(() => inflight.delete(t));
          inflight.add(t);
          return p;
        }
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        if (r instanceof Promise) {
          const t: Promise<unknown> = r.then(
            () => undefined,
            () => undefined,
          ).finally(() => inflight.delete(t));
          inflight.add(t);
        }
        return r;
      };
    },
  });
  const settle = async (): Promise<void> => {
    for (let quiet = 0; quiet < 2; ) {
      await flushMicrotasks(30);
      if (inflight.size === 0) {
        quiet++;
        continue;
      }
      quiet = 0;
      await Promise.allSettled([...inflight]);
    }
  };
  return {
    store: proxy,
    settle,
    faults: {
      blip(count, ops = []) {
        blips = count;
        blipOps = ops;
      },
      get injected() {
        return injected;
      },
      kill() {
        dead = true;
      },
    },
  };
}

let redis: Redis | undefined;
export async function sharedRedis(): Promise<Redis> {
  redis ??= await testRedis();
  return redis;
}

/** Close the Redis connection the worlds of a test file share (afterAll). */
export async function closeHarness(): Promise<void> {
  const r = redis;
  redis = undefined;
  await r?.quit();
}

export interface CallOptions {
  callId?: string;
  /** Digits the caller presses at each collect: the menu ('1' = the general queue), then the survey. */
  presses?: string[];
  policy?: Partial<QueuePolicy>;
  files?: PromptFiles;
  wait?: WaitEstimator;
  /** The number dialled (default 7100, the e2e flow) and the caller's number (default 13800000000). */
  calledNumber?: string;
  callerNumber?: string;
  /** Callback requests and messages the flow saves. */
  data?: CallDataSink;
  /** The caller's dialog can be re-INVITEd (media release); the test scripts it through LiveTestCall.peer. */
  reinvitable?: boolean;
}

export interface LiveTestCall {
  callId: string;
  leg: ScriptedLeg;
  signal: FakeSignal;
  /** The caller's re-INVITEs (CallOptions.reinvitable). */
  peer: ScriptedPeer | undefined;
  /** HotlineCalls.handle's promise: resolves once the call's cleanup ran. */
  done: Promise<void>;
  /** The call's owner (for a look at the record being built). */
  session(): CallSession;
  /** The caller hangs up (BYE, and the media leg goes). */
  hangUp(): void;
}

export interface World {
  kind: StoreKind;
  clock: VirtualClock;
  store: AcdStore;
  acd: AcdBridge;
  seats: ScriptedSeats;
  records: MemoryRecords;
  deps: SessionDeps;
  registry: CallRegistry;
  faults: StoreFaults;
  /** Run a call through HotlineCalls on the e2e flow (menu → queue general → survey). */
  call(opts?: CallOptions): LiveTestCall;
  /** 'ready', 'not-ready(missed)', ... */
  state(agentId: string): Promise<string>;
  /** Wait for microtasks and store round trips (Redis) to settle. */
  settle(): Promise<void>;
  /** Stop background timers (offer polling, wrap-up, lease) so the clock can be checked for leftovers; drop the Redis keys. */
  stop(): Promise<void>;
  /**
   * The instance dies: its bridge stops, its lease is no longer renewed, nothing of it reaches the store, the seats
   * or the records any more. Another instance's reaper (started here, reap() every second) frees what it held.
   */
  kill(): Promise<void>;
  /** The store as a living instance sees it (after a kill, the reaper's). */
  live(): AcdStore;
  /** The ACD's events so far (only with WorldOptions.events; after a kill, the reaper's too). */
  acdEvents(): Promise<AcdEvent[]>;
  /** What each reap of the living instances returned (orphans: the dead instance's calls to hang up). */
  reaped: ReapResult[];
}

export function queueDef(id: string, wrapUpSec = 10): QueueDefinition {
  return queue(id, { wrapUpSec });
}

export const DEFAULT_POLICY: QueuePolicy = {
  silentAuto: () => false,
  silentSec: 5,
  silentAgentKey: '9',
  lateWhisper: () => true,
  record: () => false,
  releaseMedia: () => false,
};

export interface WorldOptions {
  notReady?: string[];
  /** Instance lease (Infinity: never expires unless a test kills the instance). */
  leaseMs?: number;
  instanceId?: string;
  /** Keep the ACD's events (memory: onEvent; Redis: the stream) for acdEvents(). */
  events?: boolean;
}

/**
 * Agents in `agentIds` log in and become ready in that order (so longest-idle offers them in that order). `flows`:
 * from shippedFlowsWithE2e (the e2e flow answers 7100).
 */
export async function world(
  kind: StoreKind,
  flows: FlowRegistry,
  agentIds: string[],
  seatScripts: Record<string, SeatScript>,
  opts: WorldOptions = {},
): Promise<World> {
  const clock = new VirtualClock(1_000_000);
  const leaseMs = opts.leaseMs ?? Number.POSITIVE_INFINITY;
  const instanceId = opts.instanceId ?? 'i1';
  const hotlineId = uniqueHotline('call');
  const memEvents: AcdEvent[] = [];
  const raw: AcdStore =
    kind === 'memory'
      ? new MemoryAcdStore({ clock, leaseMs, ...(opts.events ? { onEvent: (e: AcdEvent) => memEvents.push(e) } : {}) })
      : new RedisAcdStore({ redis: await sharedRedis(), hotlineId, clock, leaseMs: Number.isFinite(leaseMs) ? leaseMs : 1e12, eventsMaxLen: opts.events ? 1_000_000 : 0 });
  const acdEvents = async (): Promise<AcdEvent[]> => (raw instanceof RedisAcdStore ? (await raw.readEvents()).map((r) => r.event) : [...memEvents]);
  const { store, settle: settleStore, faults } = tracked(raw);
  let reaper: { store: AcdStore; settle: () => Promise<void> } | undefined;
  const settle = async (): Promise<void> => {
    await settleStore();
    if (reaper) await reaper.settle();
    await settleStore();
  };
  await store.configure({ skills: [], queues: [queueDef('general'), queueDef('complaints')] });
  await store.renewLease(instanceId);
  for (const a of agentIds) {
    await store.loginAgent({ id: a, name: a, skills: [] });
    if (!opts.notReady?.includes(a)) await store.setReady(a);
    clock.advance(1);
  }
  const acd = new AcdBridge(store, clock, silentLogger, { instanceId, pollMs: 200 });
  acd.start();
  // The instance renews its lease (as main.ts does every leaseMs/3) while it lives.
  let leaseTimer: ReturnType<VirtualClock['setTimeout']> | undefined;
  const renew = (): void => {
    leaseTimer = clock.setTimeout(() => {
      Promise.resolve(store.renewLease(instanceId)).catch(() => undefined);
      renew();
    }, leaseMs / 3);
  };
  if (Number.isFinite(leaseMs)) renew();
  // Housekeeping as main.ts runs it on every live instance: tick and reap every second (reap also ends due
  // deadlines such as wrap-up, so a wrap-up whose in-process shortcut failed still ends on time). After a kill the
  // surviving instance's store takes over (see kill).
  let reapTimer: ReturnType<VirtualClock['setTimeout']> | undefined;
  let housekeeping: AcdStore = store;
  const reaped: ReapResult[] = [];
  const reapEverySecond = (): void => {
    reapTimer = clock.setTimeout(() => {
      const s = housekeeping;
      Promise.resolve(s.tick())
        .then(() => s.reap())
        .then((r) => void reaped.push(r))
        .catch(() => undefined);
      reapEverySecond();
    }, 1000);
  };
  reapEverySecond();
  const seats = new ScriptedSeats(clock);
  for (const [a, sc] of Object.entries(seatScripts)) seats.scripts.set(a, sc);
  const records = new MemoryRecords();
  const deps: SessionDeps = {
    clock,
    log: silentLogger,
    acd,
    seats,
    records,
    prompts: {
      lateWhisper: (sec) => [`whisper-waited`, `number:${sec}`],
      silentHello: ['hello-connected'],
      silentGoodbye: ['goodbye-cannot-hear'],
      transferring: ['transferring'],
    },
    ring: { onMs: 1000, offMs: 4000 },
    instanceId,
    recordingsDir: '/rec',
    transfers: { resolve: (t) => (t.startsWith('q:') ? { kind: 'queue', queueId: t.slice(2) } : undefined) },
  };
  const sessions = new Map<string, CallSession>();
  const registry = new (class extends CallRegistry {
    override add(call: LiveCall): void {
      sessions.set(call.callId, call as CallSession);
      super.add(call);
    }
  })(clock, 1000);
  let n = 0;
  const call = (o: CallOptions = {}): LiveTestCall => {
    const callId = o.callId ?? `c${++n}`;
    const leg = new ScriptedLeg(`caller-${callId}`, clock);
    leg.presses = [...(o.presses ?? ['1', '2'])];
    const signal = new FakeSignal();
    signal.ref = { callId: `caller-dialog-${callId}` };
    if (o.reinvitable) signal.media = new ScriptedPeer(clock, callId, leg);
    const hotline = new HotlineCalls({
      session: { ...deps },
      log: silentLogger,
      registry,
      store,
      flows,
      files: o.files ?? { prompt: (f) => basename(f, '.wav'), number: (v) => [`#${v}`] },
      policy: { ...DEFAULT_POLICY, ...o.policy },
      wait: o.wait ?? { expectedWaitSec: () => undefined },
      // As main.ts wires it: who served a caller last, from the ACD store.
      returning: { lastServed: async (n) => await store.lastServed(n) },
      ...(o.data ? { data: o.data } : {}),
    });
    const calledNumber = o.calledNumber ?? '7100';
    const flow = flows.forNumber(calledNumber) as Flow;
    registry.admit();
    const done = hotline.handle({ callId, callerNumber: o.callerNumber ?? '13800000000', calledNumber, flow, leg, signal });
    return {
      callId,
      leg,
      signal,
      peer: signal.media,
      done,
      session: () => sessions.get(callId)!,
      hangUp: () => {
        signal.remoteBye();
        leg.hangUp();
      },
    };
  };
  const stop = async (): Promise<void> => {
    acd.stop();
    clock.clearTimeout(leaseTimer);
    clock.clearTimeout(reapTimer);
    await settle();
    if (raw instanceof RedisAcdStore) await raw.destroy();
  };
  const kill = async (): Promise<void> => {
    acd.stop();
    clock.clearTimeout(leaseTimer);
    faults.kill();
    seats.dead = true;
    records.dead = true;
    const other: AcdStore = raw instanceof RedisAcdStore ? new RedisAcdStore({ redis: await sharedRedis(), hotlineId, clock, leaseMs, eventsMaxLen: opts.events ? 1_000_000 : 0 }) : raw;
    reaper = tracked(other);
    housekeeping = reaper.store;
  };
  // Agent states as the living instances see them (after a kill, through the reaper's store).
  const state = async (agentId: string): Promise<string> => {
    const a = await (reaper?.store ?? store).agent(agentId);
    return a ? `${a.state}${a.reason ? `(${a.reason})` : ''}` : 'unknown';
  };
  return { kind, clock, store, acd, seats, records, deps, registry, faults, call, state, settle, stop, kill, live: () => reaper?.store ?? store, acdEvents, reaped };
}

/** Move virtual time forward by `ms`, one timer at a time, letting microtasks and store round trips settle. */
export async function run(w: World, ms: number): Promise<void> {
  const until = w.clock.now() + ms;
  await w.settle();
  for (;;) {
    const at = w.clock.nextAt();
    if (at === undefined || at > until) break;
    w.clock.runUntil(at);
    await w.settle();
  }
  w.clock.runUntil(until);
  await w.settle();
}

/** States that mean an agent is stuck with a call that is gone. */
export const STUCK: readonly string[] = ['reserved', 'ringing', 'on-call'];

/**
 * The shipped ivr-flows (prompts, queues, calendars) plus the e2e flow (press 1 → queue general, survey after the
 * agent), copied to a temporary folder and loaded as the server loads them. `remove()` deletes the copy.
 */
export async function shippedFlowsWithE2e(prefix: string, extra: Record<string, string> = {}): Promise<{ dir: string; flows: FlowRegistry; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(resolve(import.meta.dirname, '../../ivr-flows'), dir, { recursive: true });
  await cp(resolve(import.meta.dirname, '../e2e/flows/e2e.yaml'), join(dir, 'e2e.yaml'));
  // More flow files (name → text) beside them, for tests of one feature.
  for (const [name, text] of Object.entries(extra)) await writeFile(join(dir, name), text);
  const flows = new FlowRegistry();
  await new FlowReloader(dir, flows, new VirtualClock(), silentLogger).reload();
  return { dir, flows, remove: () => rm(dir, { recursive: true, force: true }) };
}
