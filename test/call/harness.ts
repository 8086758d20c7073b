import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MemoryAcdStore } from '../../src/acd/memory-store.js';
import type { QueueDefinition } from '../../src/acd/model.js';
import { queue } from '../acd/fixtures.js';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { FlowRegistry } from '../../src/ivr/registry.js';
import { FlowReloader } from '../../src/ivr/watch.js';
import { MediaError } from '../../src/media/errors.js';
import type { CollectOptions, DtmfListener, GoneListener, MediaLeg } from '../../src/media/leg.js';
import { AcdBridge } from '../../src/call/acd-bridge.js';
import { CallError } from '../../src/call/errors.js';
import type { AnsweredSeat, CallRecordSink, DialogSignal, RingingSeat, SeatDialer } from '../../src/call/ports.js';
import type { CallRecord } from '../../src/call/record.js';
import { CallSession, type QueueSettings, type SessionDeps } from '../../src/call/session.js';

/**
 * A scripted call world on a VirtualClock: legs whose prompts take virtual time, seats that answer (or not) on
 * cue, a tiny ACD that offers the first ready agent, and in-memory agent states and records.
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

  stopAudio(): Promise<void> {
    if (!this.gone) this.events.push('stop');
    for (const b of [...this.breakers]) b();
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

  release(): Promise<void> {
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

  press(d: string): void {
    for (const fn of [...this.dtmfFns]) fn(d);
  }
}

export class FakeSignal implements DialogSignal {
  hangups = 0;
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

export class FakeSeat extends FakeSignal implements AnsweredSeat {
  private readonly referFns = new Set<(t: string) => void>();
  constructor(readonly leg: ScriptedLeg) {
    super();
  }
  onRefer(fn: (t: string) => void): () => void {
    this.referFns.add(fn);
    return () => this.referFns.delete(fn);
  }
  refer(target: string): void {
    for (const fn of [...this.referFns]) fn(target);
  }
  /** The agent hangs up: BYE on the dialog, the media leg ends. */
  agentBye(): void {
    this.remoteBye();
    this.leg.hangUp('agent-bye');
  }
}

/** How a seat behaves when rung. */
export type SeatScript = { answerAfterMs: number } | 'never' | 'reject' | 'unreachable';

export class ScriptedSeats implements SeatDialer {
  readonly scripts = new Map<string, SeatScript>();
  readonly rung: string[] = [];
  readonly cancelled: string[] = [];
  readonly answered = new Map<string, FakeSeat>();

  constructor(private readonly clock: VirtualClock) {}

  ring(agentId: string): Promise<RingingSeat> {
    const script = this.scripts.get(agentId) ?? 'never';
    if (script === 'unreachable') return Promise.reject(new CallError('SEAT_UNREACHABLE', agentId));
    this.rung.push(agentId);
    let settle!: { resolve: (s: AnsweredSeat) => void; reject: (e: unknown) => void };
    const answered = new Promise<AnsweredSeat>((resolve, reject) => (settle = { resolve, reject }));
    let cancelled = false;
    let timer: ReturnType<VirtualClock['setTimeout']> | undefined;
    if (script === 'reject') {
      timer = this.clock.setTimeout(() => settle.reject(new CallError('SEAT_REJECTED', '486')), 500);
    } else if (script !== 'never') {
      timer = this.clock.setTimeout(() => {
        if (cancelled) return;
        const seat = new FakeSeat(new ScriptedLeg(`seat-${agentId}`, this.clock));
        this.answered.set(agentId, seat);
        settle.resolve(seat);
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
}

export class MemoryRecords implements CallRecordSink {
  readonly records: CallRecord[] = [];
  write(r: CallRecord): Promise<void> {
    this.records.push(r);
    return Promise.resolve();
  }
}

export const SETTINGS: QueueSettings = {
  queueId: 'general',
  priority: 0,
  answerRings: 3,
  wrapUpSec: 10,
  maxWaitSec: 0,
  music: 'moh.wav',
  record: false,
  lateWhisper: true,
  silentCall: { auto: false, silenceSec: 5, agentKey: '9' },
};

export interface World {
  clock: VirtualClock;
  store: MemoryAcdStore;
  acd: AcdBridge;
  seats: ScriptedSeats;
  records: MemoryRecords;
  callerLeg: ScriptedLeg;
  callerSignal: FakeSignal;
  session: CallSession;
  deps: SessionDeps;
  /** 'ready', 'not-ready(missed)', ... */
  state(agentId: string): string;
  /** Stop background timers (offer polling, wrap-up) so the clock can be checked for leftovers. */
  stop(): void;
}

export function queueDef(id: string, wrapUpSec = 10): QueueDefinition {
  return queue(id, { wrapUpSec });
}

/** Agents in `agentIds` log in and become ready in that order (so longest-idle offers them in that order). */
export function world(agentIds: string[], seatScripts: Record<string, SeatScript>, opts: { notReady?: string[] } = {}): World {
  const clock = new VirtualClock(1_000_000);
  const store = new MemoryAcdStore({ clock, leaseMs: Number.POSITIVE_INFINITY });
  store.configure({ skills: [], queues: [queueDef('general'), queueDef('complaints')] });
  store.renewLease('i1');
  for (const a of agentIds) {
    store.loginAgent({ id: a, name: a, skills: [] });
    if (!opts.notReady?.includes(a)) store.setReady(a);
    clock.advance(1);
  }
  const acd = new AcdBridge(store, clock, silentLogger, { instanceId: 'i1', pollMs: 200 });
  acd.start();
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
    instanceId: 'i1',
    recordingsDir: '/rec',
    transfers: { resolve: (t) => (t.startsWith('q:') ? { kind: 'queue', queueId: t.slice(2) } : undefined) },
  };
  const callerLeg = new ScriptedLeg('caller', clock);
  const callerSignal = new FakeSignal();
  const session = new CallSession(deps, { leg: callerLeg, signal: callerSignal }, { callId: 'c1', callerNumber: '13800000000', calledNumber: '12345' });
  const state = (agentId: string): string => {
    const a = store.agent(agentId);
    return a ? `${a.state}${a.reason ? `(${a.reason})` : ''}` : 'unknown';
  };
  return { clock, store, acd, seats, records, callerLeg, callerSignal, session, deps, state, stop: () => acd.stop() };
}

export async function run(w: World, ms: number): Promise<void> {
  await w.clock.advanceAsync(ms);
  await flushMicrotasks(50);
}

/** States that mean an agent is stuck with a call that is gone. */
export const STUCK: readonly string[] = ['reserved', 'ringing', 'on-call'];

/**
 * The shipped ivr-flows (prompts, queues, calendars) plus the e2e flow (press 1 → queue general, survey after the
 * agent), copied to a temporary folder and loaded as the server loads them. `remove()` deletes the copy.
 */
export async function shippedFlowsWithE2e(prefix: string): Promise<{ dir: string; flows: FlowRegistry; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(resolve(import.meta.dirname, '../../ivr-flows'), dir, { recursive: true });
  await cp(resolve(import.meta.dirname, '../e2e/flows/e2e.yaml'), join(dir, 'e2e.yaml'));
  const flows = new FlowRegistry();
  await new FlowReloader(dir, flows, new VirtualClock(), silentLogger).reload();
  return { dir, flows, remove: () => rm(dir, { recursive: true, force: true }) };
}
