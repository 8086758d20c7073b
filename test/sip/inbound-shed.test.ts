import { EventEmitter } from 'node:events';
import type Srf from 'drachtio-srf';
import { describe, expect, it } from 'vitest';
import { AdmissionController } from '../../src/call/admission.js';
import type { HotlineCalls } from '../../src/call/hotline.js';
import { CallRegistry } from '../../src/call/registry.js';
import { VirtualClock, flushMicrotasks } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Flow } from '../../src/ivr/spec.js';
import type { FsmrfLeg } from '../../src/media/fsmrf-leg.js';
import type { MediaServerConnection } from '../../src/media/media-server.js';
import { FailureLimiter } from '../../src/sip/failure-limiter.js';
import { installInbound, type InboundDeps } from '../../src/sip/inbound.js';

/**
 * The INVITE handler's side of load shedding, with stand-ins for drachtio-srf's request and response and for the
 * media connection (the real ones need drachtio-server and FreeSWITCH: test/e2e). What is checked here is the
 * wiring: a refused caller gets 503 with Retry-After before any media is asked for, and each admitted call's
 * media set-up reports its latency and outcome to the admission control.
 */
function world(idle: () => number | undefined) {
  const clock = new VirtualClock();
  const admission = new AdmissionController(clock, { softIdleCpu: 30, hardIdleCpu: 10, latencyTargetMs: 500, maxSetups: 20, initialSetups: 10 }, idle);
  const registry = new CallRegistry(clock, 100, admission);
  let onInvite!: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void;
  const srf = {
    invite: (h: typeof onInvite) => (onInvite = h),
    createUAS: () => Promise.resolve(Object.assign(new EventEmitter(), { destroy: () => Promise.resolve() })),
  };
  const setups: { resolve(leg: FsmrfLeg): void; reject(e: Error): void }[] = [];
  const released: number[] = [];
  const leg = (): FsmrfLeg => ({ localSdp: 'v=0 fs', release: () => Promise.resolve(void released.push(1)) }) as unknown as FsmrfLeg;
  const media = {
    legForRemoteSdp: () => new Promise<FsmrfLeg>((resolve, reject) => setups.push({ resolve, reject })),
  } as unknown as MediaServerConnection;
  const handled: string[] = [];
  const deps = {
    srf: srf as unknown as Srf,
    media,
    registry,
    flows: { forNumber: (n: string) => (n === '12345' ? ({ id: 'main' } as Flow) : undefined) },
    creds: { findCredential: () => Promise.resolve(undefined) },
    authenticate: () => Promise.resolve(undefined),
    limiter: new FailureLimiter(clock, { maxFailures: 5, windowMs: 60_000, blockMs: 600_000 }),
    agents: {} as InboundDeps['agents'],
    hotline: { handle: (c: { callerNumber: string }) => Promise.resolve(void handled.push(c.callerNumber)) } as unknown as HotlineCalls,
    log: silentLogger,
    seatOutboundPattern: undefined,
    trunkUri: undefined,
    featurePrompts: { ok: [], failed: [] },
  } satisfies InboundDeps;
  installInbound(deps);
  const invite = (caller: string) => {
    const sent: { status: number; headers: Record<string, string> | undefined }[] = [];
    const res = {
      finalResponseSent: false,
      send(status: number, opts?: { headers?: Record<string, string> }) {
        sent.push({ status, headers: opts?.headers });
        this.finalResponseSent = true;
      },
    };
    const req = Object.assign(new EventEmitter(), {
      calledNumber: '12345',
      callingNumber: caller,
      body: 'v=0 caller',
      source_address: '192.0.2.1',
      get: (h: string) => (h === 'Call-ID' ? `call-${caller}` : undefined),
      getParsedHeader: () => ({ uri: `sip:${caller}@192.0.2.1` }),
    });
    onInvite(req as unknown as Srf.SrfRequest, res as unknown as Srf.SrfResponse);
    return { sent, cancel: () => req.emit('cancel') };
  };
  return { clock, admission, registry, setups, released, leg, handled, invite };
}

describe('INVITE under load: 503 with Retry-After at once, and set-ups teach the admission control', () => {
  it('a caller refused by the CPU ramp gets 503, Retry-After and the reason, and no media is asked for', async () => {
    const w = world(() => 5);
    const { sent } = w.invite('1001');
    await flushMicrotasks();
    expect(sent).toEqual([{ status: 503, headers: { 'Retry-After': '5', Reason: 'SIP;cause=503;text="media-cpu"' } }]);
    expect(w.setups).toHaveLength(0);
    expect(w.registry.size).toBe(0);
  });

  it("a slow set-up shrinks the limit, a quick one does not, a failed one shrinks it and answers 503; every slot is freed", async () => {
    const w = world(() => 80);
    w.invite('1001');
    await flushMicrotasks();
    expect(w.admission.state()).toMatchObject({ setupLimit: 10, setupsInFlight: 1 });
    w.clock.advance(40);
    w.setups[0]!.resolve(w.leg());
    await flushMicrotasks();
    expect(w.handled).toEqual(['1001']);
    expect(w.admission.state()).toMatchObject({ setupLimit: 10, setupsInFlight: 0 });

    w.invite('1002');
    await flushMicrotasks();
    w.clock.advance(800);
    w.setups[1]!.resolve(w.leg());
    await flushMicrotasks();
    expect(w.handled).toEqual(['1001', '1002']);
    expect(w.admission.state()).toMatchObject({ setupLimit: 9, setupsInFlight: 0 });

    const { sent } = w.invite('1003');
    await flushMicrotasks();
    w.setups[2]!.reject(new Error('createEndpoint: Connection timeout'));
    await flushMicrotasks();
    expect(sent).toEqual([{ status: 503, headers: { 'Retry-After': '5' } }]);
    expect(w.admission.state()).toMatchObject({ setupLimit: 8, setupsInFlight: 0 });
    // The failed call gave its place back; the two handed over keep theirs (HotlineCalls, a stand-in here, adds them).
    expect(w.handled).toEqual(['1001', '1002']);
    expect(w.registry.size).toBe(2);
  });

  it('a caller who cancels during set-up: the endpoint is released, its latency still learnt, the slot freed', async () => {
    const w = world(() => 80);
    const { sent, cancel } = w.invite('1001');
    await flushMicrotasks();
    cancel(); // drachtio-server answers the CANCEL (487) itself; the handler only hears of it
    w.clock.advance(700);
    w.setups[0]!.resolve(w.leg());
    await flushMicrotasks();
    expect(w.released).toEqual([1]);
    expect(w.handled).toEqual([]);
    expect(sent).toEqual([]);
    expect(w.admission.state()).toMatchObject({ setupLimit: 9, setupsInFlight: 0 });
    expect(w.registry.size).toBe(0);
  });
});
