import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecordRepository } from '../../src/store/pg/call-records.js';
import { CallbackRepository } from '../../src/store/pg/callbacks.js';
import { queueOption } from '../../src/ivr/queues.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

let w: ApiWorld;
beforeAll(async () => {
  w = await apiWorld('api');
});
afterAll(async () => {
  await w.close();
});

const get = (url: string, token: string) => w.app.inject({ method: 'GET', url, headers: bearer(token) });
const post = (url: string, token: string, payload?: unknown) =>
  w.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });

describe('authentication and roles', () => {
  it('answers only /healthz, /metrics and the docs without a token', async () => {
    expect((await w.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await w.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await w.app.inject({ url: '/docs/json' })).statusCode).toBe(200);
    const spec = (await w.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const apiRoutes = Object.entries(spec.paths).filter(([p]) => p.startsWith('/api/'));
    expect(apiRoutes.length).toBeGreaterThanOrEqual(15);
    // Every route documents its answers (from the same zod schemas that validate), errors included.
    for (const [path, methods] of apiRoutes) {
      for (const [m, op] of Object.entries(methods as Record<string, { responses: Record<string, unknown> }>)) {
        expect(Object.keys(op.responses), `${m} ${path}`).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '503']));
        expect(Object.keys(op.responses).some((c) => c.startsWith('2')), `${m} ${path}`).toBe(true);
      }
    }
    const docs = await w.app.inject({ url: '/docs' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    let n = 0;
    for (const [path, methods] of apiRoutes) {
      for (const m of Object.keys(methods)) {
        // Each from its own address: failed logins from one address are limited (next test).
        const res = await w.app.inject({ method: m.toUpperCase() as 'GET', url: path.replace(/\{id\}/, 'a1'), remoteAddress: `10.1.0.${++n}` });
        expect(res.statusCode, `${m} ${path}`).toBe(401);
        expect(res.json().code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('limits failed logins per address (429), like SIP registrations; other addresses are unaffected', async () => {
    const from = (remoteAddress: string, token: string) => w.app.inject({ url: '/api/queues', headers: bearer(token), remoteAddress });
    for (let i = 0; i < 3; i++) expect((await from('10.9.9.9', 'acd_guess' + i)).statusCode).toBe(401);
    const blocked = await from('10.9.9.9', w.token.admin);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().code).toBe('TOO_MANY_FAILURES');
    expect((await from('10.9.9.8', w.token.admin)).statusCode).toBe(200);
    w.clock.advance(60_001);
    expect((await from('10.9.9.9', w.token.admin)).statusCode).toBe(200);
  });

  it('refuses a role that may not (403) and an agent token acting for another agent (403)', async () => {
    const res = await post('/api/agents', w.token.supervisor, { sipUsername: '8009', name: 'X', password: 'long-enough' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('FORBIDDEN');
    expect((await get('/api/agents/a2/state', w.token.agent)).statusCode).toBe(403);
    expect((await get('/api/agents/a1/state', w.token.agent)).statusCode).toBe(200);
    expect((await get('/api/agents', w.token.agent)).statusCode).toBe(403);
  });
});

describe('agents', () => {
  it('creates a seat with the CLI\'s repository; bad input is 400 naming the field; a duplicate is 409', async () => {
    const bad = await post('/api/agents', w.token.admin, { sipUsername: '8003', name: 'Zhao Lei', password: 'secret-8003', skills: [{ skill: 'general', level: 7 }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.skills.0.level' });
    expect(bad.json().message).toMatch(/^body\.skills\.0\.level: /);

    const ok = await post('/api/agents', w.token.admin, { sipUsername: '8003', name: 'Zhao Lei', password: 'secret-8003', skills: [{ skill: 'general', level: 4 }] });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toEqual({ id: '8003', sipUsername: '8003', name: 'Zhao Lei', employeeNumber: null, role: 'agent', realm: 'hotline.test', active: true, skills: [{ skill: 'general', level: 4, primary: true }], teamId: null });
    expect(JSON.stringify(ok.json())).not.toContain('secret');

    const dup = await post('/api/agents', w.token.admin, { sipUsername: '8003', name: 'Again', password: 'secret-8003' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('DUPLICATE');

    const unknownSkill = await w.app.inject({ method: 'PUT', url: '/api/agents/8003/skills', headers: bearer(w.token.admin), payload: { skills: [{ skill: 'biling', level: 2 }] } });
    expect(unknownSkill.statusCode).toBe(400);
    expect(unknownSkill.json().code).toBe('UNKNOWN_SKILL');
    const skills = await w.app.inject({ method: 'PUT', url: '/api/agents/8003/skills', headers: bearer(w.token.admin), payload: { skills: [{ skill: 'general', level: 2, primary: false }] } });
    expect(skills.json().skills).toEqual([{ skill: 'general', level: 2, primary: false }]);

    expect((await post('/api/agents/8003/deactivate', w.token.admin)).json().active).toBe(false);
    expect(await w.agents.findCredential('8003')).toBeUndefined();
    expect((await post('/api/agents/8003/activate', w.token.admin)).json().active).toBe(true);

    const before = (await w.agents.findCredential('8003'))!.ha1;
    const reset = await post('/api/agents/8003/password', w.token.admin, {});
    expect(reset.statusCode).toBe(200);
    expect(reset.json().password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await w.agents.findCredential('8003'))!.ha1).not.toBe(before);
  });

  it('answers 404 for an unknown id', async () => {
    for (const url of ['/api/agents/nobody', '/api/agents/nobody/state', '/api/queues/nope']) {
      const res = await get(url, w.token.admin);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
    expect((await post('/api/agents/nobody/activate', w.token.admin)).statusCode).toBe(404);
  });
});

describe('agent state and live calls', () => {
  it('logs in, readies, takes a call, wraps up; the ACD refusing a change is 409 with its code', async () => {
    expect((await post('/api/agents/a1/login', w.token.agent)).json().state).toBe('not-ready');
    const early = await post('/api/agents/a1/wrap-up-done', w.token.agent);
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe('AGENT_BAD_TRANSITION');
    const nr = await post('/api/agents/a1/not-ready', w.token.agent, { reason: 'lunch' });
    expect(nr.json()).toMatchObject({ state: 'not-ready', reason: 'lunch' });
    expect((await post('/api/agents/a1/not-ready', w.token.agent, { reason: 'missed' })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.reason' });
    expect((await post('/api/agents/a1/ready', w.token.agent)).json().state).toBe('ready');

    const r = await w.store.enqueue({ callId: 'c1', queueId: 'general', callerNumber: '13800000001', priority: 0, ownerInstance: 'elsewhere' });
    expect(r.status).toBe('offered');
    await w.store.markRinging('c1');
    await w.store.answer('c1');
    await w.store.enqueue({ callId: 'c2', queueId: 'general', callerNumber: '13800000002', priority: 0, ownerInstance: 'elsewhere' });

    const calls = await get('/api/calls', w.token.supervisor);
    expect(calls.json().map((c: { callId: string; state: string; queueId: string }) => [c.callId, c.state, c.queueId])).toEqual([['c1', 'on-call', 'general'], ['c2', 'waiting', 'general']]);
    expect((await get('/api/calls', w.token.agent)).json().map((c: { callId: string }) => c.callId)).toEqual(['c1']);
    expect((await get('/api/calls', w.token.agent2)).json()).toEqual([]);
    expect((await get('/api/queues/general', w.token.agent)).json().waiting).toBe(1);

    const metrics = (await w.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('hotline_calls_in_progress{state="on-call"} 1');
    expect(metrics).toContain('hotline_calls_in_progress{state="waiting"} 1');
    expect(metrics).toContain('hotline_queue_waiting{queue="general"} 1');
    expect(metrics).toContain('hotline_queue_waiting{queue="complaints"} 0');
    expect(metrics).toContain('hotline_agents{state="on-call"} 1');
    expect(metrics).toMatch(/hotline_http_request_duration_seconds_count\{method="GET",route="\/api\/calls",status="200"\} 3/);

    // Hang-up: this API relays no commands (see test/api/calls.test.ts for the relay): the owner cannot be reached.
    const here = await post('/api/calls/c1/hangup', w.token.supervisor);
    expect(here.statusCode).toBe(503);
    expect(here.json().code).toBe('OWNER_UNREACHABLE');
    expect((await post('/api/calls/c1/hangup', w.token.agent2)).statusCode).toBe(404);
    expect((await post('/api/calls/nope/hangup', w.token.admin)).statusCode).toBe(404);

    const after = await post('/api/agents/a1/after-call', w.token.agent, { next: 'break' });
    expect(after.json()).toMatchObject({ state: 'on-call', callId: 'c1', afterCall: 'break' });
    // Wrap-up comes from the queue (general: 30 s); the pending request applies when it ends.
    await w.store.endCall('c1');
    expect((await get('/api/agents/a1/state', w.token.agent)).json().state).toBe('wrap-up');
    const done = await post('/api/agents/a1/wrap-up-done', w.token.agent);
    expect(done.json()).toMatchObject({ state: 'not-ready', reason: 'break' });
    expect((await post('/api/agents/a1/logout', w.token.agent)).json().state).toBe('logged-out');
    await w.store.abandon('c2');
  });
});

describe('flows, queues and calendars', () => {
  it('lists files with revision and status, validates an upload with file:line:col, replaces a file atomically and reloads', async () => {
    const list = (await get('/api/flows', w.token.supervisor)).json<{ file: string; state: string; servingRevision?: number }[]>();
    const hotline = list.find((f) => f.file === 'hotline.yaml')!;
    expect(hotline.state).toBe('serving');
    expect(list.map((f) => f.file)).toContain('queues.yaml');

    const path = join(w.flowsDir, 'queues.yaml');
    const original = await readFile(path, 'utf8');
    const broken = original.replace('policy: longest-idle', 'policy: fastest');
    const v = (await post('/api/flows/validate', w.token.supervisor, { file: 'queues.yaml', text: broken })).json();
    expect(v.valid).toBe(false);
    expect(v.issues[0].text).toMatch(new RegExp(`^${w.flowsDir.replace(/[/.]/g, '\\$&')}/queues\\.yaml:\\d+:\\d+: error: .*policy`));

    const refused = await w.app.inject({ method: 'PUT', url: '/api/flows/files', headers: bearer(w.token.admin), payload: { file: 'queues.yaml', text: broken } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('FLOW_INVALID');
    expect(await readFile(path, 'utf8')).toBe(original);
    expect((await w.app.inject({ method: 'PUT', url: '/api/flows/files', headers: bearer(w.token.supervisor), payload: { file: 'queues.yaml', text: original } })).statusCode).toBe(403);
    expect((await w.app.inject({ method: 'PUT', url: '/api/flows/files', headers: bearer(w.token.admin), payload: { file: '../etc/passwd.yaml', text: 'x' } })).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'body.file' });

    const changed = original.replace('wrapUpSec: 30', 'wrapUpSec: 45');
    const ok = await w.app.inject({ method: 'PUT', url: '/api/flows/files', headers: bearer(w.token.admin), payload: { file: 'queues.yaml', text: changed } });
    expect(ok.statusCode).toBe(200);
    expect(await readFile(path, 'utf8')).toBe(changed);
    expect(w.flows.queues()!.find((q) => q.id === 'general')!.wrapUpSec).toBe(45);
    expect((await get('/api/queues/general', w.token.agent)).json().wrapUpSec).toBe(45);
  });
});

describe('per-queue telephony options in queues.yaml', () => {
  it('are validated like any field, served by the API, and win over the environment lists', async () => {
    const path = join(w.flowsDir, 'queues.yaml');
    const original = await readFile(path, 'utf8');
    const withOpts = (v: string) => original.replace('    wrapUpSec: 45\n', `    wrapUpSec: 45\n    telephony: { silentCall: false, record: ${v} }\n`);
    expect(withOpts('true')).not.toBe(original);

    const bad = (await post('/api/flows/validate', w.token.supervisor, { file: 'queues.yaml', text: withOpts('"yes"') })).json();
    expect(bad.valid).toBe(false);
    expect(bad.issues[0].text).toMatch(/queues\.yaml:\d+:\d+: error: .*telephony\.record/);

    const envRecord = (q: string) => q === 'complaints';
    const envSilent = () => true;
    const record = queueOption(() => w.flows.queues(), 'record', envRecord);
    const silent = queueOption(() => w.flows.queues(), 'silentCall', envSilent);
    expect([record('general'), silent('general')]).toEqual([false, true]);

    const ok = await w.app.inject({ method: 'PUT', url: '/api/flows/files', headers: bearer(w.token.admin), payload: { file: 'queues.yaml', text: withOpts('true') } });
    expect(ok.statusCode).toBe(200);
    expect((await get('/api/queues/general', w.token.agent)).json().telephony).toEqual({ silentCall: false, record: true });
    // The next call reads the new definitions: queues.yaml wins, a queue without options keeps the environment's.
    expect([record('general'), silent('general'), record('complaints'), silent('complaints')]).toEqual([true, false, true, true]);
  });
});

describe('call records and callbacks', () => {
  it('searches by time, number, agent, queue and disposition; exports CSV; an agent sees only its own', async () => {
    const repo = new CallRecordRepository(w.tdb.db);
    const t0 = Date.parse('2026-12-01T09:00:00Z');
    for (let i = 0; i < 30; i++) {
      const answered = i % 3 !== 0;
      await repo.write({
        callId: `r${i}`, callerNumber: `1390000${String(i).padStart(4, '0')}`, hotlineNumber: '12345', queueId: i % 2 ? 'general' : 'complaints',
        arrivalAt: t0 + i * 60_000, disposition: answered ? 'answered' : 'abandoned',
        ...(answered ? { agentId: i % 2 ? 'a1' : 'a2', answerAt: t0 + i * 60_000 + 5_000 } : { abandonAt: t0 + i * 60_000 + 9_000 }),
        ...(i === 4 ? { failureReason: '=HYPERLINK("x")' } : {}),
      });
    }
    const q = (s: string, t = w.token.supervisor) => get(`/api/call-records?${s}`, t);
    expect((await q('')).json()).toHaveLength(30);
    expect((await q('limit=5')).json().map((r: { callId: string }) => r.callId)).toEqual(['r29', 'r28', 'r27', 'r26', 'r25']);
    expect((await q('agent=a1')).json()).toHaveLength(10);
    expect((await q('disposition=abandoned&queue=complaints')).json().map((r: { callId: string }) => r.callId)).toEqual(['r24', 'r18', 'r12', 'r6', 'r0']);
    expect((await q('number=13900000007')).json().map((r: { callId: string }) => r.callId)).toEqual(['r7']);
    expect((await q(`from=2026-12-01T09:10:00Z&to=${t0 + 12 * 60_000}`)).json()).toHaveLength(2);
    expect((await q('disposition=lost')).json()).toMatchObject({ code: 'INVALID_INPUT', field: 'querystring.disposition' });
    // An agent token is held to its own calls whatever it asks for.
    const own = (await q('agent=a2', w.token.agent)).json<{ agentId: string }[]>();
    expect(own).toHaveLength(10);
    expect(own.every((r) => r.agentId === 'a1')).toBe(true);

    const csv = await get('/api/call-records.csv?queue=complaints', w.token.supervisor);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^callId,arrivalAt,/);
    expect(lines).toHaveLength(16);
    expect(lines[1]).toMatch(/^r0,2026-12-01T09:00:00\.000Z,12345,13900000000,,complaints,/);
    expect(lines.find((l) => l.startsWith('r4,'))).toContain(`"'=HYPERLINK(""x"")"`);

    const cb = new CallbackRepository(w.tdb.db);
    await cb.create({ requestedNumber: '13900000001', queueId: 'general', requestedAt: t0, dueAt: t0 + 3_600_000 });
    await cb.create({ requestedNumber: '13900000002', queueId: 'complaints', requestedAt: t0, dueAt: t0 + 60_000 });
    const cbs = (await get('/api/callbacks', w.token.supervisor)).json<{ requestedNumber: string; status: string }[]>();
    expect(cbs.map((c) => c.requestedNumber)).toEqual(['13900000002', '13900000001']);
    expect((await get('/api/callbacks?queue=general', w.token.supervisor)).json()).toHaveLength(1);
    expect((await get('/api/callbacks', w.token.agent)).statusCode).toBe(403);
  });
});
