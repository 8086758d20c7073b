import { spawn } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SystemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/logging.js';
import { startServer, type Server } from '../../src/main.js';
import { RedisAcdStore } from '../../src/store/redis/acd-store.js';

/**
 * End to end: the real app (startServer with telephony) against a real drachtio-server and FreeSWITCH, driven by
 * SIPp scenarios (test/e2e/sipp, named for their expected result). Redis and PostgreSQL as for the other tests.
 *
 *   E2E_DRACHTIO=127.0.0.1:9022 E2E_FREESWITCH=127.0.0.1:8021 [E2E_SIP=127.0.0.1:5060] npm run test:e2e
 *
 * drachtio-server hands requests round-robin to every connected app: give this suite a drachtio no other app uses.
 */
const DRACHTIO = process.env.E2E_DRACHTIO;
const FREESWITCH = process.env.E2E_FREESWITCH;
const ENABLED = Boolean(DRACHTIO && FREESWITCH);
if (!ENABLED) {
  console.warn(
    '\n[e2e] SKIPPED: set E2E_DRACHTIO=host:port (drachtio admin) and E2E_FREESWITCH=host:port (event socket), ' +
      'optionally E2E_SIP=host:port (drachtio SIP, default <drachtio host>:5060), E2E_DRACHTIO_SECRET, E2E_FREESWITCH_SECRET.\n',
  );
}

const [dHost, dPort] = (DRACHTIO ?? '127.0.0.1:9022').split(':') as [string, string];
const [fHost, fPort] = (FREESWITCH ?? '127.0.0.1:8021').split(':') as [string, string];
const SIP = process.env.E2E_SIP ?? `${dHost}:5060`;
const SIPP_DIR = resolve(import.meta.dirname, 'sipp');
const DOMAIN = 'e2e.hotline';
const HOTLINE = '7100';
const RUN = `${process.pid}`;
const SCHEMA = `e2e_tel_${RUN}`;
const A = { user: `e2ea${RUN}`, password: 'secret-agent-a', contactPort: 5391, regPort: 5381 };
const B = { user: `e2eb${RUN}`, password: 'secret-agent-b', contactPort: 5392, regPort: 5382 };
const C = { user: `e2ec${RUN}`, password: 'secret-agent-c', contactPort: 5393, regPort: 5383 };
/** The agent of the `direct` queue (media release). */
const D = { user: `e2ed${RUN}`, password: 'secret-agent-d', contactPort: 5394, regPort: 5384 };
const DIRECT_NUMBER = '7102';

let server: Server;
let store: RedisAcdStore;
let db: pg.Client;
let dir: string;
let mediaPort = 16000;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

interface SippResult {
  code: number | null;
  out: string;
}

/**
 * Run one SIPp scenario to its end (or kill it after `limitMs`, or with SIGKILL when `vanish` aborts: a phone that
 * disappears without a BYE); exit code 0 means every expectation held.
 */
function sipp(scenario: string, args: string[], limitMs = 90_000, vanish?: AbortSignal): Promise<SippResult> {
  mediaPort += 10;
  const full = ['-sf', join(SIPP_DIR, scenario), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', '1', '-timeout', `${Math.round(limitMs / 1000)}s`, '-timeout_error', '-nostdin', '-aa', ...args];
  return new Promise((res) => {
    const child = spawn('sipp', full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs + 5000);
    const onVanish = (): void => {
      child.kill('SIGKILL');
    };
    vanish?.addEventListener('abort', onVanish);
    child.on('close', (code) => {
      clearTimeout(killer);
      vanish?.removeEventListener('abort', onVanish);
      res({ code, out: out.slice(-3000) });
    });
  });
}

const caller = (scenario: string, callerNumber: string, keys: Record<string, string> = {}, limitMs?: number): Promise<SippResult> =>
  sipp(scenario, ['-s', HOTLINE, '-key', 'caller', callerNumber, ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]), SIP], limitMs);

/** The seat's answering side: server mode on its Contact port. */
const seat = (scenario: string, agent: typeof A, keys: Record<string, string> = {}, limitMs?: number, vanish?: AbortSignal): Promise<SippResult> =>
  sipp(scenario, ['-p', String(agent.contactPort), '-s', agent.user, ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v])], limitMs, vanish);

async function register(agent: typeof A, password = agent.password, scenario = 'agent_register.xml'): Promise<SippResult> {
  return sipp(scenario, ['-p', String(agent.regPort), '-s', agent.user, '-au', agent.user, '-ap', password, '-key', 'domain', DOMAIN, '-key', 'contact_port', String(agent.contactPort), '-key', 'expires', '300', SIP], 20_000);
}

async function record(callerNumber: string): Promise<Record<string, unknown> | undefined> {
  // Call records are written when the call ends, through the durable recorder: wait a little for them.
  for (let i = 0; i < 40; i++) {
    const r = await db.query(`SELECT * FROM ${SCHEMA}.call_records WHERE caller_number = $1`, [callerNumber]);
    if (r.rows.length > 0) {
      expect(r.rows).toHaveLength(1);
      return r.rows[0] as Record<string, unknown>;
    }
    await new Promise((r2) => setTimeout(r2, 250));
  }
  return undefined;
}

/** FreeSWITCH legs this process holds (every media server, as /healthz reports them). */
async function mediaLegs(): Promise<number> {
  const body = (await (await fetch(`${server.httpUrl}/healthz`)).json()) as { checks: { media?: { info?: { servers?: { legs: number }[] } } } };
  const servers = body.checks.media?.info?.servers;
  if (!servers) throw new Error(`no media servers in /healthz: ${JSON.stringify(body)}`);
  return servers.reduce((n, m) => n + m.legs, 0);
}

/** The legs count once the call's clean-up has run (it may trail the call record by a moment). */
async function legsSettle(): Promise<number> {
  let legs = await mediaLegs();
  for (let i = 0; i < 20 && legs > 0; i++) {
    await sleep(150);
    legs = await mediaLegs();
  }
  return legs;
}

async function agentState(agent: typeof A): Promise<string> {
  const a = await store.agent(agent.user);
  return a ? `${a.state}${a.reason ? `(${a.reason})` : ''}` : 'none';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Register the seat and make the agent ready, once out of its previous call's wrap-up (5 s). */
async function registeredAndReady(agent: typeof A): Promise<void> {
  expect((await register(agent)).code).toBe(0);
  await sleep(300);
  for (let i = 0; i < 40 && (await agentState(agent)) === 'wrap-up'; i++) await sleep(250);
  await store.setReady(agent.user).catch(() => undefined);
}

describe.skipIf(!ENABLED)('telephony end to end (drachtio-server + FreeSWITCH + SIPp)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotline-e2e-'));
    await cp(resolve(import.meta.dirname, '../../ivr-flows'), join(dir, 'flows'), { recursive: true });
    await cp(resolve(import.meta.dirname, 'flows/e2e.yaml'), join(dir, 'flows/e2e.yaml'));
    await cp(resolve(import.meta.dirname, 'flows/barge.yaml'), join(dir, 'flows/barge.yaml'));
    await cp(resolve(import.meta.dirname, 'flows/direct.yaml'), join(dir, 'flows/direct.yaml'));
    // The media-release queue (MEDIA_RELEASE_QUEUES below): its own skill, so only agent D takes its calls.
    await appendFile(
      join(dir, 'flows/queues.yaml'),
      ['  - id: direct', '    name: Direct media (e2e)', '    requiredSkills: [{ skill: direct, minLevel: 1 }]', '    wrapUpSec: 5', '    maxWaitSec: 120', ''].join('\n'),
    );
    await mkdir(join(dir, 'recordings'));
    const config = loadConfig({
      HOTLINE_ID: `e2e${RUN}`,
      INSTANCE_ID: `e2e-${RUN}`,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
      DATABASE_SCHEMA: SCHEMA,
      REDIS_URL: 'redis://127.0.0.1:6379',
      HTTP_PORT: String(await freePort()),
      DRACHTIO_HOST: dHost,
      DRACHTIO_PORT: dPort,
      DRACHTIO_SECRET: process.env.E2E_DRACHTIO_SECRET ?? 'cymru',
      FREESWITCH_HOST: fHost,
      FREESWITCH_PORT: fPort,
      FREESWITCH_SECRET: process.env.E2E_FREESWITCH_SECRET ?? 'ClueCon',
      // E2E_MEDIA_CONTROL=socket runs the suite with an event socket per channel (the default is shared; docs/capacity.md).
      ...(process.env.E2E_MEDIA_CONTROL ? { MEDIA_CONTROL: process.env.E2E_MEDIA_CONTROL } : {}),
      FSMRF_LISTEN_ADDRESS: '127.0.0.1',
      FSMRF_LISTEN_PORT: String(await freePort()),
      SIP_DOMAIN: DOMAIN,
      FLOWS_DIR: join(dir, 'flows'),
      RECORDINGS_DIR: join(dir, 'recordings'),
      PG_SPOOL_DIR: join(dir, 'spool'),
      // Short rings keep the suite quick: 3 rings of 1 s on + 1 s off = 6 s before redirect on no answer.
      RING_ON_MS: '1000',
      RING_OFF_MS: '1000',
      // Not the media-release queue: the silent-call script needs the caller's media in FreeSWITCH.
      SILENT_CALL_QUEUES: 'general,complaints,specialists',
      MEDIA_RELEASE_QUEUES: 'direct',
      RECORD_QUEUES: 'general',
      SILENT_CALL_SEC: '5',
      // Every answered dialog gets an in-dialog OPTIONS this often (SIPp answers with -aa): every call of the suite
      // carries a few, and the vanished-phones test needs one soon after the phones are gone.
      SIP_KEEPALIVE_SEC: '3',
      SHUTDOWN_DRAIN_MS: '3000',
      // The suite checks call flows, not load shedding (unit-tested in test/call/overload.test.ts): on a shared, busy
      // development box FreeSWITCH's heartbeat reports under 1% idle CPU and every call would get 503 'media-cpu'.
      MEDIA_MIN_IDLE_CPU: '0',
      // The last test trips the block list: 3 failures, then blocked for 4 s.
      AUTH_MAX_FAILURES: '3',
      AUTH_BLOCK_MS: '4000',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    });
    server = await startServer(config, createLogger(config.LOG_LEVEL));
    await server.pg.skills.add('general').catch(() => undefined);
    for (const [a, skill] of [[A, 'general'], [B, 'general'], [C, 'complaints'], [D, 'direct']] as const) {
      await server.pg.agents.create(
        { sipUsername: a.user, name: a.user, password: a.password, realm: DOMAIN, skills: [{ skill, level: 3, primary: true }] },
        { createMissingSkills: true },
      );
    }
    store = new RedisAcdStore({ redis: server.redis, hotlineId: config.HOTLINE_ID, clock: new SystemClock(), leaseMs: config.LEASE_MS });
    db = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await db.connect();
  });

  afterAll(async () => {
    if (server) {
      const keys = await server.redis.keys(`*{e2e${RUN}}*`).catch(() => [] as string[]);
      if (keys.length > 0) await server.redis.del(...keys);
      await server.shutdown('e2e done');
    }
    if (db) {
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await db.end();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('wrong password: 401 challenge, then 403', async () => {
    const r = await register(A, 'not-the-password', 'register_wrong_password_403.xml');
    expect(r.code, r.out).toBe(0);
  });

  it('unknown number: 404', async () => {
    const r = await sipp('invite_unknown_number_404.xml', ['-s', '99999', '-key', 'caller', '13900000404', SIP], 20_000);
    expect(r.code, r.out).toBe(0);
  });

  it('scanner user-agent: 403 without a challenge', async () => {
    const r = await sipp('scanner_invite_403.xml', ['-s', HOTLINE, '-key', 'caller', '13900000666', SIP], 20_000);
    expect(r.code, r.out).toBe(0);
  });

  it('IVR answers, DTMF 1 queues the call, the registered agent answers; after the agent hangs up the survey digit is stored', async () => {
    expect((await register(A)).code).toBe(0);
    await sleep(300);
    expect(await agentState(A)).toMatch(/^not-ready/);
    await store.setReady(A.user);
    const agent = seat('agent_answers_talks_hangs_up.xml', A);
    const call = await caller('caller_press1_agent_hangs_up_survey_rated_2.xml', '13900000001');
    const seatResult = await agent;
    expect(seatResult.code, seatResult.out).toBe(0);
    expect(call.code, call.out).toBe(0);
    const rec = await record('13900000001');
    expect(rec).toMatchObject({ agent_id: A.user, survey_rating: 2, queue_id: 'general', flow_id: 'e2e' });
    // Recorded (RECORD_QUEUES=general): FreeSWITCH wrote the file named in the record.
    expect(rec!.recording_path).toEqual(expect.stringContaining(join(dir, 'recordings')));
    expect((await stat(String(rec!.recording_path))).size).toBeGreaterThan(1000);
    expect(Number(rec!.rings_to_answer)).toBeGreaterThanOrEqual(1);
    expect(Number(rec!.rings_to_answer)).toBeLessThanOrEqual(3);
    expect(['wrap-up', 'ready']).toContain(await agentState(A));
  });

  it('agent A does not answer in 3 rings: CANCEL, A is not-ready(missed), agent B gets the call (with the late whisper)', async () => {
    expect((await register(A)).code).toBe(0);
    expect((await register(B)).code).toBe(0);
    await sleep(300);
    // A became ready first, so longest-idle offers A first.
    for (const a of [A, B]) if ((await agentState(a)) !== 'ready') await store.setReady(a.user).catch(() => undefined);
    await sleep(50);
    const seatA = seat('agent_never_answers_cancelled.xml', A);
    const seatB = seat('agent_answers_talks_10s_hangs_up.xml', B);
    const call = await caller('caller_press1_late_answer_survey_rated_2.xml', '13900000002');
    const [ra, rb] = await Promise.all([seatA, seatB]);
    expect(ra.code, ra.out).toBe(0);
    expect(rb.code, rb.out).toBe(0);
    expect(call.code, call.out).toBe(0);
    const rec = await record('13900000002');
    expect(rec).toMatchObject({ agent_id: B.user, missed_agents: [A.user], late_whisper: true });
    expect(await agentState(A)).toBe('not-ready(missed)');
  });

  it('silent caller: hello, 5 s, hello, 5 s, goodbye, released by the server with disposition silent', async () => {
    expect((await register(A)).code).toBe(0);
    await sleep(300);
    await store.setReady(A.user).catch(() => undefined);
    await store.setNotReady(B.user, 'break').catch(() => undefined);
    const agent = seat('agent_answers_waits_for_bye.xml', A);
    const started = Date.now();
    const call = await caller('caller_press1_silent_released_by_server.xml', '13900000003');
    const r = await agent;
    expect(call.code, call.out).toBe(0);
    expect(r.code, r.out).toBe(0);
    const secs = (Date.now() - started) / 1000;
    expect(secs).toBeGreaterThan(10);
    const rec = await record('13900000003');
    expect(rec).toMatchObject({ disposition: 'silent', agent_id: A.user });
  });

  it('caller abandons while queued (no agent ready): record abandoned', async () => {
    await store.setNotReady(A.user, 'break').catch(() => undefined);
    await store.setNotReady(B.user, 'break').catch(() => undefined);
    const call = await caller('caller_press1_abandons_while_queued.xml', '13900000004');
    expect(call.code, call.out).toBe(0);
    const rec = await record('13900000004');
    expect(rec).toMatchObject({ disposition: 'abandoned' });
  });

  it('barge-in: 1 pressed (RFC 2833) one second into the 5.6 s greeting reaches the general queue without the menu', async () => {
    for (const a of [A, B, C]) await store.setNotReady(a.user, 'break').catch(() => undefined);
    const started = Date.now();
    const call = await sipp('caller_press1_during_greeting_queued.xml', ['-s', '7101', '-key', 'caller', '13900000007', SIP], 30_000);
    expect(call.code, call.out).toBe(0);
    const rec = await record('13900000007');
    // Lost digit: the caller would still be in the greeting or the menu at the BYE (5 s), never queued.
    expect(rec).toMatchObject({ flow_id: 'barge', queue_id: 'general', disposition: 'abandoned' });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('caller hangs up while the seat rings: the seat gets CANCEL and the agent is ready again, not stuck', async () => {
    expect((await register(A)).code).toBe(0);
    await sleep(300);
    await store.setReady(A.user).catch(() => undefined);
    const seatA = seat('agent_never_answers_cancelled.xml', A);
    const call = await caller('caller_press1_abandons_while_queued.xml', '13900000005');
    expect(call.code, call.out).toBe(0);
    const ra = await seatA;
    expect(ra.code, ra.out).toBe(0);
    const rec = await record('13900000005');
    expect(rec).toMatchObject({ disposition: 'abandoned' });
    expect(await agentState(A)).toBe('ready');
  });
  it('blind transfer: the agent REFERs the caller to the complaints queue; its agent answers; the survey follows', async () => {
    expect((await register(A)).code).toBe(0);
    expect((await register(C)).code).toBe(0);
    await sleep(300);
    await store.setReady(A.user).catch(() => undefined);
    await store.setReady(C.user).catch(() => undefined);
    await store.setNotReady(B.user, 'break').catch(() => undefined);
    const seatA = seat('agent_answers_transfers_to_complaints.xml', A);
    const seatC = seat('agent_answers_talks_hangs_up.xml', C);
    const call = await caller('caller_press1_transferred_survey_rated_2.xml', '13900000006');
    const [ra, rc] = await Promise.all([seatA, seatC]);
    expect(ra.code, ra.out).toBe(0);
    expect(rc.code, rc.out).toBe(0);
    expect(call.code, call.out).toBe(0);
    const rec = await record('13900000006');
    expect(rec).toMatchObject({ agent_id: C.user, transfer_target: 'complaints', survey_rating: 2 });
  });

  it('media release: caller and seat talk without FreeSWITCH; after the agent hangs up the caller is re-anchored and the survey digit is stored', async () => {
    expect((await register(D)).code).toBe(0);
    await sleep(300);
    await store.setReady(D.user).catch(() => undefined);
    const agent = seat('agent_answers_direct_talks_hangs_up.xml', D);
    const call = sipp('caller_press1_direct_agent_hangs_up_reanchored_survey_rated_2.xml', ['-s', DIRECT_NUMBER, '-key', 'caller', '13900000008', SIP], 60_000);
    // While the agent talks (6 s from its answer): no FreeSWITCH leg for the call, neither the caller's nor a seat's.
    let legsWhileTalking: number | undefined;
    for (let i = 0; i < 80 && legsWhileTalking === undefined; i++) {
      if ((await agentState(D)) === 'on-call') {
        await sleep(1500);
        legsWhileTalking = await mediaLegs();
      } else await sleep(250);
    }
    const [rs, rc] = await Promise.all([agent, call]);
    expect(rs.code, rs.out).toBe(0);
    expect(rc.code, rc.out).toBe(0);
    expect(legsWhileTalking).toBe(0);
    const rec = await record('13900000008');
    expect(rec).toMatchObject({ agent_id: D.user, queue_id: 'direct', flow_id: 'direct', survey_rating: 2, disposition: 'answered' });
    expect(await legsSettle()).toBe(0);
    expect(['wrap-up', 'ready']).toContain(await agentState(D));
  });

  it('media release: the caller hangs up while talking straight to the seat; the seat gets BYE, the record is written, the agent is free', async () => {
    await registeredAndReady(D);
    const agent = seat('agent_answers_direct_waits_for_bye.xml', D);
    const call = await sipp('caller_press1_direct_hangs_up_while_talking.xml', ['-s', DIRECT_NUMBER, '-key', 'caller', '13900000009', SIP], 40_000);
    const rs = await agent;
    expect(call.code, call.out).toBe(0);
    expect(rs.code, rs.out).toBe(0);
    const rec = await record('13900000009');
    expect(rec).toMatchObject({ agent_id: D.user, queue_id: 'direct' });
    expect(await legsSettle()).toBe(0);
    expect(['wrap-up', 'ready']).toContain(await agentState(D));
  });

  it('media release: both phones vanish without a BYE while talking straight; the in-dialog keepalive ends the call, writes its record and frees the agent', async () => {
    await registeredAndReady(D);
    const gone = new AbortController();
    const agent = seat('agent_answers_direct_waits_for_bye.xml', D, {}, 120_000, gone.signal);
    const call = sipp('caller_press1_direct_vanishes.xml', ['-s', DIRECT_NUMBER, '-key', 'caller', '13900000011', SIP], 120_000, gone.signal);
    let talking = false;
    for (let i = 0; i < 80 && !talking; i++) {
      if ((await agentState(D)) === 'on-call') talking = true;
      else await sleep(250);
    }
    expect(talking).toBe(true);
    await sleep(1500);
    expect(await mediaLegs()).toBe(0); // released: nothing in FreeSWITCH would notice the silence
    gone.abort();
    await Promise.all([agent, call]);
    // SIP_KEEPALIVE_SEC (3 here): the next OPTIONS to either phone goes unanswered; within the transaction's 32 s
    // the call ends as if they had hung up.
    const t0 = Date.now();
    let rec: Record<string, unknown> | undefined;
    while (!rec && Date.now() - t0 < 50_000) rec = await record('13900000011');
    expect(rec, 'no record 50 s after both phones vanished').toMatchObject({ agent_id: D.user, queue_id: 'direct' });
    expect(Date.now() - t0).toBeLessThan(50_000);
    expect(['wrap-up', 'ready']).toContain(await agentState(D));
  }, 150_000);

  it("media release: the caller's hold re-INVITE during the direct talk is relayed to the seat and answered with the seat's answer", async () => {
    await registeredAndReady(D);
    // The seat checks the relayed re-INVITE (o=user1, a=sendonly) and answers a=recvonly; the caller checks that its
    // 200 OK carries that answer (o=seat, a=recvonly) and not the seat's old offer, which srf alone would send.
    const agent = seat('agent_answers_direct_hold_relayed_waits_for_bye.xml', D);
    const call = await sipp('caller_press1_direct_hold_relayed_hangs_up.xml', ['-s', DIRECT_NUMBER, '-key', 'caller', '13900000010', SIP], 40_000);
    const rs = await agent;
    expect(call.code, call.out).toBe(0);
    expect(rs.code, rs.out).toBe(0);
    const rec = await record('13900000010');
    expect(rec).toMatchObject({ agent_id: D.user, queue_id: 'direct' });
    expect(await legsSettle()).toBe(0);
    expect(['wrap-up', 'ready']).toContain(await agentState(D));
  });

  it('a seat dials *21: the INVITE is challenged, answered with a tone, and the agent is not-ready(break)', async () => {
    expect((await register(A)).code).toBe(0);
    await sleep(300);
    await store.setReady(A.user).catch(() => undefined);
    const r = await sipp('seat_dials_feature_code_answered.xml', ['-s', '*21', '-key', 'caller', A.user, '-key', 'domain', DOMAIN, '-au', A.user, '-ap', A.password, SIP], 30_000);
    expect(r.code, r.out).toBe(0);
    expect(await agentState(A)).toBe('not-ready(break)');
  });

  it('a seat dials an outside number: challenged, then 403 (no toll fraud)', async () => {
    const r = await sipp('seat_dials_outside_number_403.xml', ['-s', '0086138000000', '-key', 'caller', A.user, '-key', 'domain', DOMAIN, '-au', A.user, '-ap', A.password, SIP], 20_000);
    expect(r.code, r.out).toBe(0);
  });

  it('repeated wrong passwords block the address for a while (403 without a challenge), then it may try again', async () => {
    for (let i = 0; i < 3; i++) await register(B, 'wrong-password', 'register_wrong_password_403.xml');
    const blocked = await register(B, B.password, 'register_blocked_403.xml');
    expect(blocked.code, blocked.out).toBe(0);
    await sleep(4500);
    const ok = await register(B);
    expect(ok.code, ok.out).toBe(0);
  });
});

describe.skipIf(ENABLED)('telephony end to end', () => {
  it('is skipped: E2E_DRACHTIO and E2E_FREESWITCH are not set', () => {
    expect(ENABLED).toBe(false);
  });
});
