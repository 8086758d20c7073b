import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
 * Callbacks end to end (issue 11 §3): the real app with telephony and SIP_TRUNK pointing at a SIPp "customer" on
 * loopback. A task created through the API is claimed by the dispatcher, the ACD reserves the registered agent on
 * the callback queue, the agent's seat (SIPp UAS) is rung first, then the customer through the trunk (183 early
 * media, then 200 with PCMA), both bridged in FreeSWITCH; the customer hangs up and the task is recorded as done,
 * with its attempt and an outbound call record.
 *
 *   E2E_DRACHTIO=127.0.0.1:9022 E2E_FREESWITCH=127.0.0.1:8021 [E2E_SIP=127.0.0.1:5060] \
 *     npx vitest run --config vitest.e2e.config.ts test/e2e/callbacks.test.ts
 *
 * drachtio-server hands requests round-robin to every connected app: give this suite a drachtio no other app uses.
 */
const DRACHTIO = process.env.E2E_DRACHTIO;
const FREESWITCH = process.env.E2E_FREESWITCH;
const ENABLED = Boolean(DRACHTIO && FREESWITCH);
if (!ENABLED) {
  console.warn(
    '\n[e2e callbacks] SKIPPED: set E2E_DRACHTIO=host:port (drachtio admin) and E2E_FREESWITCH=host:port (event socket), ' +
      'optionally E2E_SIP=host:port (drachtio SIP, default <drachtio host>:5060).\n',
  );
}

const [dHost, dPort] = (DRACHTIO ?? '127.0.0.1:9022').split(':') as [string, string];
const [fHost, fPort] = (FREESWITCH ?? '127.0.0.1:8021').split(':') as [string, string];
const SIP = process.env.E2E_SIP ?? `${dHost}:5060`;
const SIPP_DIR = resolve(import.meta.dirname, 'sipp');
const DOMAIN = 'e2e.hotline';
const RUN = `${process.pid}`;
const SCHEMA = `e2e_cb_${RUN}`;
const AGENT = { user: `e2ecb${RUN}`, password: 'secret-agent-cb', contactPort: 5395, regPort: 5385 };
const TRUNK_PORT = 5399;
const CUSTOMER = '13900000777';

let server: Server;
let store: RedisAcdStore;
let db: pg.Client;
let dir: string;
let mediaPort = 16400;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? res(a.port) : rej(new Error('no port'))));
    });
  });
}

function sipp(scenario: string, args: string[], limitMs = 90_000): Promise<{ code: number | null; out: string }> {
  mediaPort += 10;
  const full = ['-sf', join(SIPP_DIR, scenario), '-i', '127.0.0.1', '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', '1', '-timeout', `${Math.round(limitMs / 1000)}s`, '-timeout_error', '-nostdin', '-aa', ...args];
  return new Promise((res) => {
    const child = spawn('sipp', full, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs + 5000);
    child.on('close', (code) => {
      clearTimeout(killer);
      res({ code, out: out.slice(-3000) });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Open around the clock, so the suite dials whenever it runs (the shipped hotline calendar closes at night).
const ALWAYS_OPEN = `id: e2e-always
name: Always open (e2e)
timezone: Asia/Shanghai
seasons:
  - name: all-year
    from: "01-01"
    to: "12-31"
    weekly:
      weekdays: { open: "00:00-23:59" }
      weekend: { open: "00:00-23:59" }
`;

describe.skipIf(!ENABLED)('callbacks end to end (drachtio-server + FreeSWITCH + SIPp customer behind SIP_TRUNK)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hotline-e2e-cb-'));
    await cp(resolve(import.meta.dirname, '../../ivr-flows'), join(dir, 'flows'), { recursive: true });
    await writeFile(join(dir, 'flows/calendars/e2e-always.yaml'), ALWAYS_OPEN);
    const config = loadConfig({
      HOTLINE_ID: `e2ecb${RUN}`,
      INSTANCE_ID: `e2e-cb-${RUN}`,
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
      FSMRF_LISTEN_ADDRESS: '127.0.0.1',
      FSMRF_LISTEN_PORT: String(await freePort()),
      SIP_DOMAIN: DOMAIN,
      SIP_TRUNK: `127.0.0.1:${TRUNK_PORT}`,
      FLOWS_DIR: join(dir, 'flows'),
      RECORDINGS_DIR: dir,
      PG_SPOOL_DIR: join(dir, 'spool'),
      RING_ON_MS: '1000',
      RING_OFF_MS: '1000',
      CALLBACK_CALENDAR: 'e2e-always',
      CALLBACK_SWEEP_MS: '500',
      CALLBACK_MAX_SEATS: '1',
      SHUTDOWN_DRAIN_MS: '3000',
      MEDIA_MIN_IDLE_CPU: '0',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    });
    server = await startServer(config, createLogger(config.LOG_LEVEL));
    await server.pg.agents.create(
      { sipUsername: AGENT.user, name: AGENT.user, password: AGENT.password, realm: DOMAIN, skills: [{ skill: 'general', level: 3, primary: true }] },
      { createMissingSkills: true },
    );
    store = new RedisAcdStore({ redis: server.redis, hotlineId: config.HOTLINE_ID, clock: new SystemClock(), leaseMs: config.LEASE_MS });
    db = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
    await db.connect();
  });

  afterAll(async () => {
    if (server) {
      const keys = await server.redis.keys(`*{e2ecb${RUN}}*`).catch(() => [] as string[]);
      if (keys.length > 0) await server.redis.del(...keys);
      await server.shutdown('e2e done');
    }
    if (db) {
      await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await db.end();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a callback task is dialled: agent seat first, then the SIPp customer through the trunk, bridged, recorded as done', async () => {
    const reg = await sipp('agent_register.xml', ['-p', String(AGENT.regPort), '-s', AGENT.user, '-au', AGENT.user, '-ap', AGENT.password, '-key', 'domain', DOMAIN, '-key', 'contact_port', String(AGENT.contactPort), '-key', 'expires', '300', SIP], 20_000);
    expect(reg.code, reg.out).toBe(0);
    await sleep(300);
    // Both answering sides listen before the task exists.
    const seat = sipp('agent_answers_waits_for_bye.xml', ['-p', String(AGENT.contactPort), '-s', AGENT.user], 60_000);
    const customer = sipp('customer_early_media_answers_talks_hangs_up.xml', ['-p', String(TRUNK_PORT), '-s', CUSTOMER], 60_000);
    await sleep(500);
    await store.setReady(AGENT.user);

    const { token } = await server.pg.tokens.create({ name: 'e2e', role: 'supervisor' });
    const created = await server.http.inject({ method: 'POST', url: '/api/callbacks', headers: { authorization: `Bearer ${token}` }, payload: { number: CUSTOMER, reason: 'complaint', queue: 'general' } });
    expect(created.statusCode, created.body).toBe(201);
    const task = created.json<{ id: string; dueAt: number; source: string }>();
    expect(task.source).toBe('api');

    const [s, c] = await Promise.all([seat, customer]);
    expect(c.code, `customer: ${c.out}`).toBe(0);
    expect(s.code, `seat: ${s.out}`).toBe(0);

    let row: Record<string, unknown> | undefined;
    for (let i = 0; i < 40; i++) {
      row = (await db.query(`SELECT * FROM ${SCHEMA}.callbacks WHERE id = $1`, [task.id])).rows[0] as Record<string, unknown> | undefined;
      if (row?.status === 'done') break;
      await sleep(250);
    }
    expect(row).toMatchObject({ status: 'done', attempts: 1, outcome: 'answered', agent_id: AGENT.user });
    const attempts = (await db.query(`SELECT agent_id, outcome FROM ${SCHEMA}.callback_attempts WHERE callback_id = $1`, [task.id])).rows;
    expect(attempts).toEqual([{ agent_id: AGENT.user, outcome: 'answered' }]);
    let rec: Record<string, unknown> | undefined;
    for (let i = 0; i < 40 && !rec; i++) {
      rec = (await db.query(`SELECT * FROM ${SCHEMA}.call_records WHERE caller_number = $1`, [CUSTOMER])).rows[0] as Record<string, unknown> | undefined;
      if (!rec) await sleep(250);
    }
    expect(rec).toMatchObject({ direction: 'outbound', disposition: 'answered', agent_id: AGENT.user, queue_id: 'callback:general', who_hung_up: 'caller' });
    // The agent is the ACD's again: in wrap-up after the call (general's wrapUpSec), or ready.
    expect((await store.agent(AGENT.user))?.state).toMatch(/^(wrap-up|ready)$/);

    const one = await server.http.inject({ method: 'GET', url: `/api/callbacks/${task.id}`, headers: { authorization: `Bearer ${token}` } });
    expect(one.json()).toMatchObject({ status: 'done', overdue: false, attemptLog: [{ agentId: AGENT.user, outcome: 'answered' }] });
  });
});
