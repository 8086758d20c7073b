import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveKpis } from '../../src/kpi/types.js';
import type { CallRecord } from '../../src/store/pg/call-records.js';
import { apiWorld, bearer, type ApiWorld } from './support.js';

/**
 * Teams and satisfaction reviews over HTTP (app.inject), on real PostgreSQL: who may see and close what. a1 leads
 * team red (a2 is in it); lead2 leads team blue (b1 is in it); a2 leads nothing.
 */
let w: ApiWorld;
let lead2Token = '';
const HOUR = 3_600_000;

const rated = (callId: string, agentId: string): CallRecord => ({
  callId,
  callerNumber: '13800138000',
  queueId: 'general',
  flowId: 'hotline',
  agentId,
  arrivalAt: w.clock.now() - 600_000,
  answerAt: w.clock.now() - 500_000,
  hangupAt: w.clock.now(),
  disposition: 'answered',
  surveyRating: 3,
  recordingPath: `/recordings/${callId}.wav`,
});

beforeAll(async () => {
  w = await apiWorld('reviews-api', { liveKpis: { live: () => Promise.resolve(emptyLive(w.clock.now())) } });
  await w.agents.create({ id: 'lead2', sipUsername: '8102', name: 'Lead Two', password: 'secret-8102', realm: 'hotline.test' });
  await w.agents.create({ id: 'b1', sipUsername: '8201', name: 'Blue One', password: 'secret-8201', realm: 'hotline.test' });
  lead2Token = (await w.tokens.create({ name: 'Lead Two', role: 'agent', agentId: 'lead2' })).token;
});
afterAll(async () => {
  await w?.close();
});

const get = (url: string, token: string) => w.app.inject({ url, headers: bearer(token) });
const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, token: string, payload?: unknown) =>
  w.app.inject({ method, url, headers: bearer(token), ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });

describe('/api/teams', () => {
  it('admin and supervisor create teams, set leads and put agents in them; the agent record shows its team', async () => {
    expect((await send('POST', '/api/teams', w.token.admin, { id: 'red', name: 'Red', leadAgentId: 'a1' })).statusCode).toBe(201);
    expect((await send('POST', '/api/teams', w.token.supervisor, { id: 'blue', name: 'Blue' })).statusCode).toBe(201);
    const patched = await send('PATCH', '/api/teams/blue', w.token.supervisor, { leadAgentId: 'lead2' });
    expect(patched.json()).toEqual({ id: 'blue', name: 'Blue', leadAgentId: 'lead2', members: [] });
    expect((await send('PUT', '/api/agents/a2/team', w.token.supervisor, { teamId: 'red' })).json()).toMatchObject({ id: 'a2', teamId: 'red' });
    expect((await send('PUT', '/api/agents/b1/team', w.token.admin, { teamId: 'blue' })).statusCode).toBe(200);
    expect((await get('/api/agents/a2', w.token.agent2)).json()).toMatchObject({ id: 'a2', teamId: 'red' });
    expect((await get('/api/teams', w.token.supervisor)).json()).toEqual([
      { id: 'blue', name: 'Blue', leadAgentId: 'lead2', members: ['b1'] },
      { id: 'red', name: 'Red', leadAgentId: 'a1', members: ['a2'] },
    ]);
  });

  it('refuses agents, unknown teams and unknown leads with stable codes', async () => {
    expect((await get('/api/teams', w.token.agent)).statusCode).toBe(403);
    expect((await send('POST', '/api/teams', w.token.agent, { id: 'x', name: 'X' })).statusCode).toBe(403);
    const dup = await send('POST', '/api/teams', w.token.admin, { id: 'red', name: 'Again' });
    expect([dup.statusCode, dup.json().code]).toEqual([409, 'DUPLICATE']);
    const noLead = await send('PATCH', '/api/teams/red', w.token.admin, { leadAgentId: 'nobody' });
    expect([noLead.statusCode, noLead.json().code]).toEqual([404, 'UNKNOWN_AGENT']);
    const noTeam = await send('PUT', '/api/agents/a2/team', w.token.admin, { teamId: 'green' });
    expect([noTeam.statusCode, noTeam.json().code]).toEqual([404, 'UNKNOWN_TEAM']);
    expect((await send('POST', '/api/teams', w.token.admin, { id: 'tmp', name: 'Tmp' })).statusCode).toBe(201);
    expect((await send('DELETE', '/api/teams/tmp', w.token.supervisor)).statusCode).toBe(204);
    expect((await send('DELETE', '/api/teams/tmp', w.token.supervisor)).statusCode).toBe(404);
  });
});

describe('/api/reviews', () => {
  let redId = '';
  let blueId = '';

  beforeAll(async () => {
    w.clock.runUntil(Date.parse('2026-12-07T16:50:00+08:00'));
    await w.records.write(rated('call-red', 'a2'));
    await w.records.write(rated('call-blue', 'b1'));
    await w.records.write(rated('call-pool', 'a1')); // a1 is in no team: the supervisors' pool
    const all = await w.reviews.list({});
    redId = all.find((t) => t.callId === 'call-red')!.id;
    blueId = all.find((t) => t.callId === 'call-blue')!.id;
  });

  it('supervisors see every task, filtered by state and assignee (pool: nobody leads it)', async () => {
    const all = (await get('/api/reviews', w.token.supervisor)).json<{ callId: string; assigneeAgentId: string | null; dueAt: string; recordingPath: string }[]>();
    expect(all.map((t) => [t.callId, t.assigneeAgentId])).toEqual([['call-red', 'a1'], ['call-blue', 'lead2'], ['call-pool', null]]);
    expect(all[0]).toMatchObject({ dueAt: '2026-12-07T10:50:00.000Z', recordingPath: '/recordings/call-red.wav' });
    expect((await get('/api/reviews?assignee=pool', w.token.admin)).json<{ callId: string }[]>().map((t) => t.callId)).toEqual(['call-pool']);
    expect((await get('/api/reviews?status=closed', w.token.admin)).json()).toEqual([]);
    expect((await get('/api/reviews?status=later', w.token.admin)).statusCode).toBe(400);
  });

  it('a lead sees its own tasks only; an agent who leads no team gets 403', async () => {
    expect((await get('/api/reviews', w.token.agent)).json<{ callId: string }[]>().map((t) => t.callId)).toEqual(['call-red']);
    expect((await get('/api/reviews', lead2Token)).json<{ callId: string }[]>().map((t) => t.callId)).toEqual(['call-blue']);
    expect((await get('/api/reviews?assignee=lead2', w.token.agent)).statusCode).toBe(403);
    expect((await get(`/api/reviews/${blueId}`, w.token.agent)).statusCode).toBe(403);
    expect((await get(`/api/reviews/${redId}`, w.token.agent)).json()).toMatchObject({ callId: 'call-red', state: 'open' });
    const notLead = await get('/api/reviews', w.token.agent2);
    expect([notLead.statusCode, notLead.json().code]).toEqual([403, 'FORBIDDEN']);
    expect((await get(`/api/reviews/${redId}`, w.token.agent2)).statusCode).toBe(403);
  });

  it("overdue: flagged by the sweep, then in the list, in /metrics and as the wallboard's alert", async () => {
    w.clock.runUntil(w.clock.now() + 2 * HOUR + 1_000);
    expect((await w.reviews.sweep()).map((t) => t.callId)).toEqual(['call-red', 'call-blue', 'call-pool']);
    expect(await w.reviews.sweep()).toEqual([]);
    w.overdueReviews.invalidate();
    expect((await get('/api/reviews?status=overdue', w.token.supervisor)).json()).toHaveLength(3);
    expect((await get('/api/reviews?status=open', w.token.supervisor)).json()).toEqual([]);
    const metrics = (await w.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^hotline_reviews_overdue 3$/m);
    const live = (await get('/api/kpis/live', w.token.supervisor)).json<LiveKpis>();
    expect(live.alerts).toContainEqual(expect.objectContaining({ queueId: '*', kind: 'reviews-overdue', count: 3 }));
  });

  it('the lead closes its own task; not another lead\'s; twice → 409 REVIEW_ALREADY_CLOSED', async () => {
    const outcome = { agentAtFault: true, note: 'interrupted the caller twice', listenedAt: '2026-12-07T19:00:00+08:00' };
    expect((await send('POST', `/api/reviews/${blueId}/outcome`, w.token.agent, outcome)).statusCode).toBe(403);
    expect((await send('POST', `/api/reviews/${redId}/outcome`, w.token.agent2, outcome)).statusCode).toBe(403);
    const res = await send('POST', `/api/reviews/${redId}/outcome`, w.token.agent, outcome);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ state: 'closed', agentAtFault: true, closedBy: 'agent:a1', listenedAt: '2026-12-07T11:00:00.000Z' });
    expect(res.json<{ apologyCallbackId: string | null }>().apologyCallbackId).toMatch(/^\d+$/);
    const again = await send('POST', `/api/reviews/${redId}/outcome`, w.token.agent, outcome);
    expect([again.statusCode, again.json().code]).toEqual([409, 'REVIEW_ALREADY_CLOSED']);
    const bad = await send('POST', `/api/reviews/${blueId}/outcome`, w.token.supervisor, { note: 'x' });
    expect([bad.statusCode, bad.json().code, bad.json().field]).toEqual([400, 'INVALID_INPUT', 'body.agentAtFault']);
    expect((await send('POST', '/api/reviews/424242/outcome', w.token.supervisor, { agentAtFault: false, note: 'x' })).statusCode).toBe(404);
    // A supervisor may close any, the pool's included.
    expect((await send('POST', `/api/reviews/${blueId}/outcome`, w.token.supervisor, { agentAtFault: false, note: 'policy, not the agent' })).json()).toMatchObject({ state: 'closed', closedBy: 'supervisor:floor', apologyCallbackId: null });
    w.overdueReviews.invalidate();
    expect((await w.app.inject({ url: '/metrics' })).body).toMatch(/^hotline_reviews_overdue 1$/m);
  });
});

function emptyLive(at: number): LiveKpis {
  const q = {
    queueId: '*', waiting: 0, longestWaitSec: 0, offered: 0, answered: 0, abandoned: 0, answeredWithinTarget: 0, serviceLevel: null,
    target: { fraction: 0.8, seconds: 20 }, abandonRate: null, answerRate: null, asaSec: null, attSec: null, ahtSec: null, occupancy: null,
    avgRings: null, rona: 0, silent: 0, staffing: { required: null, loggedIn: 0, ready: 0 },
  };
  return { at, windowSec: 3600, hotline: q, queues: [], agents: { byState: {}, list: [] }, alerts: [] };
}
