import { createHash } from 'node:crypto';
import { LUA_PRELUDE } from './lua-prelude.js';

/**
 * One Lua function per ACD operation (see lua-prelude.ts for the calling convention). Each returns a JSON string.
 * Every validation happens before the first write, so a refused operation changes nothing.
 */
const OPS = {
  // ARGV[4] agent id, ARGV[5] serve entries (JSON, computed in TypeScript from the profile and the queues),
  // ARGV[6] the agent's skills (JSON), kept so that configure can recompute serve entries, ARGV[7] the setup
  // version the entries were computed from (stale: a configure ran since; TypeScript recomputes and retries).
  login: `
if (R('HGET', P .. 'seq', 'setup') or '0') ~= ARGV[7] then return '{"stale":true}' end
local aid = ARGV[4]
local a = agentGet(aid)
if a and a.state ~= 'logged-out' then
  fail('AGENT_BAD_TRANSITION', 'agent ' .. aid .. ' is already logged in (' .. a.state .. ')', {agentId = aid, from = a.state, to = 'not-ready'})
end
local k = P .. 'a:' .. aid
R('DEL', k)
-- A new log-in starts without a registration: the service sets it again right after (seatChanged).
R('ZREM', P .. 'regdl', aid)
R('HSET', k, 'state', 'logged-out', 'since', NOWS, 'readySince', NOWS, 'talk', '0', 'serves', ARGV[5], 'skills', ARGV[6])
R('SADD', P .. 'agents', aid)
R('HINCRBY', P .. 'seq', 'agents', '1')
a = agentGet(aid)
setState(aid, a, 'not-ready', 'other')
return '{}'
`,
  // An explicit request replaces a pending after-call one (which only exists in wrap-up, where these are allowed).
  setReady: `
local aid = ARGV[4]
local a = agentOrFail(aid)
checkRequest(aid, a.state, 'ready')
if a.after ~= '' then a.after = '' setState(aid, a, 'ready', nil, {'after', ''}) else setState(aid, a, 'ready') end
return offerResult(matchForAgent(aid, a))
`,
  setNotReady: `
local aid = ARGV[4]
local a = agentOrFail(aid)
checkRequest(aid, a.state, 'not-ready')
if a.after ~= '' then setState(aid, a, 'not-ready', ARGV[5], {'after', ''}) else setState(aid, a, 'not-ready', ARGV[5]) end
return '{}'
`,
  logout: `
local aid = ARGV[4]
local a = agentOrFail(aid)
checkRequest(aid, a.state, 'logged-out')
if a.after ~= '' then setState(aid, a, 'logged-out', nil, {'after', ''}) else setState(aid, a, 'logged-out') end
return '{}'
`,
  // ARGV[4] agent id, ARGV[5] a not-ready reason, 'logout', or '' to cancel (validated in TypeScript).
  requestAfterCall: `
local aid, nxt = ARGV[4], ARGV[5]
local a = agentOrFail(aid)
if AFTER_WAITS[a.state] then
  if a.after ~= nxt then R('HSET', a.key, 'after', nxt) end
  return '{}'
end
if nxt == '' then return '{}' end
if nxt == 'logout' then
  checkRequest(aid, a.state, 'logged-out')
  setState(aid, a, 'logged-out')
else
  checkRequest(aid, a.state, 'not-ready')
  setState(aid, a, 'not-ready', nxt)
end
return '{}'
`,
  wrapUpDone: `
local aid = ARGV[4]
local a = agentOrFail(aid)
if a.state ~= 'wrap-up' then
  fail('AGENT_BAD_TRANSITION', 'agent ' .. aid .. ' is ' .. a.state .. ', not in wrap-up', {agentId = aid, from = a.state, to = 'ready'})
end
return offerResult(endWrapUp(aid, a))
`,
  // ARGV[4] agent id, ARGV[5] serve entries, ARGV[6] skills (both JSON, validated and computed in TypeScript),
  // ARGV[7] the setup version they were computed from (as for login).
  profile: `
if (R('HGET', P .. 'seq', 'setup') or '0') ~= ARGV[7] then return '{"stale":true}' end
local aid = ARGV[4]
local a = agentOrFail(aid)
R('HINCRBY', P .. 'seq', 'agents', '1')
if a.state == 'ready' then removeReady(aid, a) end
R('HSET', a.key, 'serves', ARGV[5], 'skills', ARGV[6])
a.servesJson, a.serves = ARGV[5], nil
if a.state ~= 'ready' or not a.reach then return offerResult(nil) end
a.readySince = tonumber(R('HGET', a.key, 'readySince'))
addReady(aid, a)
return offerResult(matchForAgent(aid, a))
`,
  // ARGV[4] agent id, ARGV[5] registration expiry (ms; not after now: not registered).
  setRegistration: `
local aid, untilS = ARGV[4], ARGV[5]
local a = agentOrFail(aid)
local live = tonumber(untilS) > NOW
R('HSET', a.key, 'regUntil', untilS)
if live then R('ZADD', P .. 'regdl', untilS, aid) else R('ZREM', P .. 'regdl', aid) end
if live == a.reach then return offerResult(nil) end
if not live then
  unreachable(aid, a)
  return offerResult(nil)
end
a.reach = true
R('HDEL', a.key, 'unreach')
if a.state ~= 'ready' then return offerResult(nil) end
a.readySince = tonumber(R('HGET', a.key, 'readySince'))
addReady(aid, a)
return offerResult(matchForAgent(aid, a))
`,
  expire: `
local ended, lost = expireDue()
return '{"wrapUpEnded":' .. idList(ended) .. ',"unreachable":' .. idList(lost) .. ',"offers":' .. offersJson() .. '}'
`,
  // ARGV[4] skills (JSON list), ARGV[5] queues [[id, qd json, full json], ...], ARGV[6] logged-in agents' new serve
  // entries [[agent, serves json], ...] (computed in TypeScript), ARGV[7] the SCAN pattern of call keys, ARGV[8] the
  // agents version they were computed at (stale: an agent logged in or changed skills since; TypeScript retries).
  configure: `
if (R('HGET', P .. 'seq', 'agents') or '0') ~= ARGV[8] then return '{"stale":true}' end
R('HINCRBY', P .. 'seq', 'setup', '1')
local skills, qs, agents = cjson.decode(ARGV[4]), cjson.decode(ARGV[5]), cjson.decode(ARGV[6])
-- Ready agents leave the indexes under the old definitions and re-enter under the new ones (scores follow policy).
for _, e in ipairs(agents) do
  local a = agentGet(e[1])
  if a and a.state == 'ready' then removeReady(e[1], a) end
end
local keep = {}
for _, e in ipairs(qs) do keep[e[1]] = true end
-- Removed queues: retired while they still hold calls (waiting, offered or on a call), dropped otherwise.
local counts, anyRemoved = {}, false
for _, q in ipairs(cjson.decode(R('GET', P .. 'qorder') or '[]')) do
  if not keep[q] then counts[q] = 0 anyRemoved = true end
end
if anyRemoved then
  local cursor = '0'
  repeat
    local r = R('SCAN', cursor, 'MATCH', ARGV[7], 'COUNT', '1000')
    cursor = r[1]
    for _, k in ipairs(r[2]) do
      local q = R('HGET', k, 'q')
      if q and counts[q] then counts[q] = counts[q] + 1 end
    end
  until cursor == '0'
end
R('DEL', P .. 'skills')
if #skills > 0 then R('SADD', P .. 'skills', unpack(skills)) end
local order = {}
for _, e in ipairs(qs) do
  R('SET', P .. 'qd:' .. e[1], e[2])
  R('SET', P .. 'qdjson:' .. e[1], e[3])
  R('HDEL', P .. 'qn', e[1])
  order[#order + 1] = {id = e[1], prio = cjson.decode(e[2]).prio}
end
for q, n in pairs(counts) do
  if n > 0 then
    local d = cjson.decode(R('GET', P .. 'qd:' .. q))
    d.retired = true
    R('SET', P .. 'qd:' .. q, cjson.encode(d))
    R('HSET', P .. 'qn', q, fmt(n))
    order[#order + 1] = {id = q, prio = d.prio}
  else
    R('DEL', P .. 'qd:' .. q, P .. 'qdjson:' .. q, P .. 'q:' .. q, P .. 'r:' .. q .. ':primary', P .. 'r:' .. q .. ':secondary', P .. 'r:' .. q .. ':overflow-queue')
    R('HDEL', P .. 'qn', q)
  end
end
table.sort(order, function(x, y)
  if x.prio ~= y.prio then return x.prio > y.prio end
  return x.id < y.id
end)
local ids = {}
for i, o in ipairs(order) do ids[i] = jstr(o.id) end
R('SET', P .. 'qorder', '[' .. table.concat(ids, ',') .. ']')
QD = {}
for _, e in ipairs(agents) do
  local a = agentGet(e[1])
  if a and a.state ~= 'logged-out' then
    R('HSET', a.key, 'serves', e[2])
    a.servesJson, a.serves = e[2], nil
    if a.state == 'ready' and a.reach then
      a.readySince = tonumber(R('HGET', a.key, 'readySince'))
      addReady(e[1], a)
    end
  end
end
matchWaiting()
return '{"offers":' .. offersJson() .. '}'
`,
  // ARGV[4] call id, [5] queue, [6] caller, [7] priority, [8] owner instance, [9] hold ('': the queue's sticky
  // rule, '-': none, else the agent to hold the call for), [10] hold seconds (with an agent)
  enqueue: `
local cid, q, caller, prioS, owner = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local holdFor, holdSec = ARGV[9] or '', tonumber(ARGV[10] or '0') or 0
local prio = tonumber(prioS)
local d = qdef(q)
if not d or d.retired then fail('UNKNOWN_QUEUE', 'unknown queue ' .. q, {queueId = q, callId = cid}) end
if R('EXISTS', P .. 'c:' .. cid) == 1 then fail('CALL_DUPLICATE', 'call ' .. cid .. ' is already in the ACD', {callId = cid}) end
if not live(owner) then fail('LEASE_EXPIRED', 'instance ' .. owner .. ' holds no live lease', {instance = owner, callId = cid}) end
local sticky = ''
local holdMs = d.sticky * 1000
local wanted = nil
if holdFor == '' then
  if d.sticky > 0 then
    local last = R('GET', P .. 'last:' .. caller)
    -- '<agent>|<ended at>' (or a bare agent id, written by an earlier library version)
    if last then wanted = string.match(last, '^[^|]+') end
  end
elseif holdFor ~= '-' then
  wanted = holdFor
  holdMs = holdSec * 1000
end
if wanted then
  local la = agentGet(wanted)
  if la and la.state ~= 'logged-out' and la.reach then sticky = wanted end
end
local holdS = fmt(holdMs)
local c = {q = q, caller = caller, prio = prio, owner = owner, at = NOW, score = 0,
  st = 'waiting', agent = '', sticky = sticky, offAt = 0, ansAt = 0, inQueue = false, hold = holdMs}
if sticky ~= '' then
  emit('enqueued', 'callId', cid, 'queueId', q, 'priority', prio, 'callerNumber', caller, 'ownerInstance', owner, 'stickyAgent', sticky)
else
  emit('enqueued', 'callId', cid, 'queueId', q, 'priority', prio, 'callerNumber', caller, 'ownerInstance', owner)
end
R('ZADD', P .. 'ic:' .. owner, NOWS, cid)
-- Match first: a call matched at once never enters the queue, which saves writing it there and taking it out.
-- Its other fields go into the same HSET as the match's.
local offer = matchForCall(cid, c, {'q', q, 'caller', caller, 'prio', prioS, 'owner', owner, 'at', NOWS, 'sticky', sticky, 'hold', holdS})
if offer then return '{"status":"offered","offer":' .. offer .. '}' end
local seq = R('HINCRBY', P .. 'seq', 'arrival', '1')
c.score = (999 - prio) * 1099511627776 + 549755813888 + seq
R('HSET', P .. 'c:' .. cid, 'q', q, 'caller', caller, 'prio', prioS, 'owner', owner, 'at', NOWS, 'score', fmt(c.score), 'st', 'waiting', 'sticky', sticky, 'hold', holdS)
addWaiting(cid, c)
return '{"status":"queued","position":' .. fmt(R('ZRANK', P .. 'q:' .. q, cid) + 1) .. ',"length":' .. fmt(R('ZCARD', P .. 'q:' .. q)) .. '}'
`,
  markRinging: `
local cid = ARGV[4]
local c = callOrFail(cid, 'offered', true)
local a = agentOrFail(c.agent)
checkTransition(c.agent, a.state, 'ringing')
setState(c.agent, a, 'ringing')
return '{}'
`,
  answer: `
local cid = ARGV[4]
local c = callOrFail(cid, 'offered', true)
local a = agentOrFail(c.agent)
checkTransition(c.agent, a.state, 'on-call')
R('HSET', P .. 'c:' .. cid, 'st', 'on-call', 'ansAt', NOWS)
emit('answered', 'callId', cid, 'agentId', c.agent, 'ringMs', NOW - c.offAt)
setState(c.agent, a, 'on-call')
return '{}'
`,
  rona: `
local cid = ARGV[4]
local c = callOrFail(cid, 'offered')
local aid = c.agent
local a = agentOrFail(aid)
checkTransition(aid, a.state, 'not-ready')
emit('rona', 'callId', cid, 'agentId', aid, 'queueId', c.q)
setState(aid, a, 'not-ready', 'missed', {'call', ''})
if a.after ~= '' then applyAfter(aid, a) end
local head = R('HINCRBY', P .. 'seq', 'head', '1')
c.st = 'waiting'
c.agent = ''
c.score = (999 - c.prio) * 1099511627776 + 549755813888 - head
R('HSET', P .. 'c:' .. cid, 'st', 'waiting', 'score', fmt(c.score))
R('HDEL', P .. 'c:' .. cid, 'agent')
addWaiting(cid, c)
return offerResult(matchForCall(cid, c))
`,
  // ARGV[4] call id, ARGV[5] the agent it is offered to. The call first (back at the head, matched while the agent
  // still holds it), then the agent ready or its pending after-call state; the offers made, in that order.
  giveBack: `
local cid, aid = ARGV[4], ARGV[5]
local c = callOrFail(cid, 'offered')
if c.agent ~= aid then
  fail('CALL_BAD_STATE', 'call ' .. cid .. ' is offered to ' .. c.agent .. ', not ' .. aid, {callId = cid, agentId = aid, offeredTo = c.agent})
end
local a = agentOrFail(aid)
checkTransition(aid, a.state, 'ready')
emit('offer-returned', 'callId', cid, 'agentId', aid, 'queueId', c.q)
local head = R('HINCRBY', P .. 'seq', 'head', '1')
c.st = 'waiting'
c.agent = ''
c.score = (999 - c.prio) * 1099511627776 + 549755813888 - head
R('HSET', P .. 'c:' .. cid, 'st', 'waiting', 'score', fmt(c.score))
R('HDEL', P .. 'c:' .. cid, 'agent')
addWaiting(cid, c)
local out = {}
local o1 = matchForCall(cid, c)
if o1 then out[#out + 1] = o1 end
setState(aid, a, 'ready', nil, {'call', ''})
local o2 = releaseToNext(aid, a)
if o2 then out[#out + 1] = o2 end
return '{"offers":[' .. table.concat(out, ',') .. ']}'
`,
  // ARGV[4] call id, ARGV[5] target queue. The stored score (priority and arrival, or head after a RONA) is kept.
  moveCall: `
local cid, to = ARGV[4], ARGV[5]
local c = callOrFail(cid, 'waiting')
local d = qdef(to)
if not d or d.retired then fail('UNKNOWN_QUEUE', 'unknown queue ' .. to, {queueId = to, callId = cid}) end
if to ~= c.q then
  local from = c.q
  removeWaiting(cid, c)
  emit('moved', 'callId', cid, 'fromQueue', from, 'toQueue', to)
  leaveQueue(from)
  c.q = to
  c.sticky = ''
  c.inQueue = false
  c.score = tonumber(R('HGET', P .. 'c:' .. cid, 'score'))
  R('HSET', P .. 'c:' .. cid, 'q', to, 'sticky', '')
  local offer = matchForCall(cid, c)
  if offer then return '{"status":"offered","offer":' .. offer .. '}' end
  addWaiting(cid, c)
end
return '{"status":"queued","position":' .. fmt(R('ZRANK', P .. 'q:' .. to, cid) + 1) .. ',"length":' .. fmt(R('ZCARD', P .. 'q:' .. to)) .. '}'
`,
  // ARGV[4] call id, ARGV[5] 'operator' when a supervisor ended it (else absent).
  abandon: `
local cid = ARGV[4]
local by = nil
if ARGV[5] == 'operator' then by = 'operator' end
local c = callOrFail(cid, nil)
if c.st == 'on-call' then
  local _, _, offer = finish(cid, c, 'caller')
  return '{"stage":"on-call","offer":' .. (offer or 'null') .. '}'
end
if c.st == 'waiting' then
  removeWaiting(cid, c)
  deleteCall(cid, c)
  emit('abandoned', 'callId', cid, 'queueId', c.q, 'stage', 'waiting', 'by', by)
  return '{"stage":"waiting"}'
end
local aid = c.agent
local a = agentGet(aid)
deleteCall(cid, c)
emit('abandoned', 'callId', cid, 'queueId', c.q, 'stage', 'offered', 'agentId', aid, 'by', by)
setState(aid, a, 'ready', nil, {'call', ''})
return '{"stage":"offered","offer":' .. (releaseToNext(aid, a) or 'null') .. '}'
`,
  endCall: `
local cid = ARGV[4]
local c = callOrFail(cid, 'on-call', true)
local aid, wrap, offer = finish(cid, c, 'agent')
return '{"agentId":' .. jstr(aid) .. ',"wrapUpSec":' .. fmt(wrap) .. ',"offer":' .. (offer or 'null') .. '}'
`,
  tick: `
if MAXLEN > 0 then R('XTRIM', P .. 'events', 'MAXLEN', '~', fmt(MAXLEN)) end
matchWaiting()
return '{"offers":' .. offersJson() .. '}'
`,
  // ARGV[4] instance
  renew: `
R('ZADD', P .. 'leases', fmt(NOW + LEASE), ARGV[4])
return '{}'
`,
  // ARGV[4] instance: its lease ends now if it holds one (XX: an instance without a lease gets none).
  expireLease: `
local s = R('ZSCORE', P .. 'leases', ARGV[4])
if s and tonumber(s) > NOW then R('ZADD', P .. 'leases', 'XX', NOWS, ARGV[4]) end
return '{}'
`,
  reap: `
local dead = R('ZRANGEBYSCORE', P .. 'leases', '-inf', NOWS)
local removed, freed, orphans = {}, {}, {}
-- Fields of a tracking entry (trackCall's JSON) only when they have the expected type: a stored null is left out.
local function tstr(t, k) if t and type(t[k]) == 'string' then return t[k] end return nil end
local function tnum(t, k) if t and type(t[k]) == 'number' then return t[k] end return nil end
for _, inst in ipairs(dead) do
  emit('instance-dead', 'instance', inst)
  -- The calls it tracked from their answer (menus and survey included): each gets a record, and their SIP dialogs
  -- go back to the caller of reap, the one instance that sees them.
  local tracked, tlist = {}, {}
  local raw = R('HGETALL', P .. 'lc:' .. inst)
  for i = 1, #raw, 2 do
    local ok, t = pcall(cjson.decode, raw[i + 1])
    if ok and type(t) == 'table' then
      tracked[raw[i]] = t
      tlist[#tlist + 1] = {id = raw[i], at = tnum(t, 'at') or 0, json = raw[i + 1]}
    end
  end
  table.sort(tlist, function(x, y)
    if x.at ~= y.at then return x.at < y.at end
    return x.id < y.id
  end)
  for _, e in ipairs(tlist) do orphans[#orphans + 1] = e.json end
  local ids = R('ZRANGE', P .. 'ic:' .. inst, '0', '-1')
  for _, cid in ipairs(ids) do
    local c = callGet(cid)
    if c then
      local t = tracked[cid]
      tracked[cid] = nil
      if c.st == 'waiting' then removeWaiting(cid, c) end
      R('DEL', P .. 'c:' .. cid)
      leaveQueue(c.q)
      removed[#removed + 1] = cid
      if c.st == 'waiting' then
        emit('removed-dead-instance', 'callId', cid, 'queueId', c.q, 'instance', inst, 'stage', 'waiting',
          'arrivedAt', tnum(t, 'at'), 'callerNumber', tstr(t, 'callerNumber'), 'calledNumber', tstr(t, 'calledNumber'), 'flowId', tstr(t, 'flowId'))
      else
        local aid = c.agent
        local a = agentGet(aid)
        emit('removed-dead-instance', 'callId', cid, 'queueId', c.q, 'instance', inst, 'stage', c.st, 'agentId', aid,
          'arrivedAt', tnum(t, 'at'), 'callerNumber', tstr(t, 'callerNumber'), 'calledNumber', tstr(t, 'calledNumber'), 'flowId', tstr(t, 'flowId'))
        setState(aid, a, 'ready', nil, {'call', ''})
        if a.after ~= '' then applyAfter(aid, a) end
        freed[#freed + 1] = aid
      end
    end
  end
  -- Tracked calls outside the ACD: in the menus before queueing, or in the survey after the agent.
  for _, e in ipairs(tlist) do
    local t = tracked[e.id]
    if t then
      emit('removed-dead-instance', 'callId', e.id, 'instance', inst, 'stage', 'ivr',
        'arrivedAt', tnum(t, 'at'), 'callerNumber', tstr(t, 'callerNumber'), 'calledNumber', tstr(t, 'calledNumber'), 'flowId', tstr(t, 'flowId'))
    end
  end
  R('ZREM', P .. 'leases', inst)
  R('DEL', P .. 'ic:' .. inst, P .. 'in:' .. inst, P .. 'lc:' .. inst)
end
for _, aid in ipairs(freed) do
  local a = agentGet(aid)
  if a.state == 'ready' then matchForAgent(aid, a) end
end
-- Deadlines due now end here too: every live instance reaps, so none waits on the instance that set it.
local ended, lost = expireDue()
-- cjson writes an empty table as {}; the TypeScript side reads anything but an array as an empty list.
return '{"deadInstances":' .. cjson.encode(dead) .. ',"removedCalls":' .. cjson.encode(removed) .. ',"freedAgents":' .. cjson.encode(freed)
  .. ',"wrapUpEnded":' .. idList(ended) .. ',"unreachable":' .. idList(lost) .. ',"offers":' .. offersJson()
  .. ',"orphans":[' .. table.concat(orphans, ',') .. ']}'
`,
  position: `
local cid = ARGV[4]
local c = callGet(cid)
if not c or c.st ~= 'waiting' then return '{}' end
return '{"position":' .. fmt(R('ZRANK', P .. 'q:' .. c.q, cid) + 1) .. ',"length":' .. fmt(R('ZCARD', P .. 'q:' .. c.q)) .. '}'
`,
  // The ceiling the benchmark compares against: a script that does nothing, through the same machinery.
  empty: `
return '{}'
`,
} as const;

export type AcdOp = keyof typeof OPS;
export const ACD_OPS = Object.keys(OPS) as AcdOp[];
/** An operation's number in a batch (see acdLibrary). */
export const ACD_OP_CODES = Object.fromEntries(ACD_OPS.map((op, i) => [op, String(i + 1)])) as Record<AcdOp, string>;

/** Bump when the Lua changes: the library name carries it, so instances running different code never share one. */
export const ACD_LIBRARY_VERSION = 15;
/**
 * The name also carries a digest of the Lua itself: two builds that both say v13 but differ in code (a forgotten
 * bump, two branches on one development Redis, a rolling upgrade) then load two libraries side by side instead of
 * each FUNCTION LOAD REPLACE swapping the other's functions out from under it (seen: tests of one checkout failing
 * against another checkout's v13 on the shared Redis).
 */
const LUA_DIGEST = createHash('sha256')
  .update(LUA_PRELUDE)
  .update(JSON.stringify(OPS))
  .digest('hex')
  .slice(0, 10);
export const ACD_LIBRARY = `acd_v${ACD_LIBRARY_VERSION}_${LUA_DIGEST}`;

export function functionName(op: AcdOp): string {
  return `${ACD_LIBRARY}_${op}`;
}

/** The batch function: several operations in one FCALL (see acdLibrary). */
export const BATCH_FUNCTION = `${ACD_LIBRARY}_batch`;

/**
 * The whole ACD as one Redis function library: shared helpers once, one registered function per operation, and
 * `batch`, which runs several operations one after another in ONE call: what a client would otherwise send as
 * consecutive FCALLs in one pipeline, minus a call's fixed cost in Redis and in the client.
 * batch: KEYS[1] prefix; ARGV[1] lease ms, ARGV[2] event MAXLEN, then per operation: its code (ACD_OP_CODES), its
 * now, its argument count, its arguments. Each operation runs exactly as its own function would (validation before
 * any write, so a refused one changes nothing and its events are dropped); the reply is one string per operation,
 * its JSON or '!' and the error. Events of the whole batch go to the stream as one entry.
 */
export function acdLibrary(): string {
  const parts = [`#!lua name=${ACD_LIBRARY}`, LUA_PRELUDE, 'local OPFN = {}'];
  ACD_OPS.forEach((op, i) => {
    parts.push(`OPFN[${i + 1}] = function(KEYS, ARGV)\n${OPS[op]}\nend`);
    parts.push(`redis.register_function('${functionName(op)}', function(KEYS, ARGV)\nEVENTS, QD = {}, {}\nbegin(KEYS, ARGV)\nlocal result = OPFN[${i + 1}](KEYS, ARGV)\nflush()\nreturn result\nend)`);
  });
  parts.push(`redis.register_function('${BATCH_FUNCTION}', function(KEYS, ARGV)
EVENTS, QD = {}, {}
local out = {}
local i, n = 3, #ARGV
while i <= n do
  local code, k = tonumber(ARGV[i]), tonumber(ARGV[i + 2])
  local args = {ARGV[i + 1], ARGV[1], ARGV[2]}
  for j = 1, k do args[3 + j] = ARGV[i + 2 + j] end
  i = i + 3 + k
  local mark = #EVENTS
  begin(KEYS, args)
  local ok, res = pcall(OPFN[code], KEYS, args)
  if ok then
    out[#out + 1] = res
  else
    for e = #EVENTS, mark + 1, -1 do EVENTS[e] = nil end
    if type(res) == 'table' then res = res.err end
    out[#out + 1] = '!' .. tostring(res)
  end
end
flush()
return out
end)`);
  return parts.join('\n');
}

/** The empty script of the benchmark's ceiling, run with EVALSHA. */
export const EMPTY_SCRIPT = OPS.empty;
