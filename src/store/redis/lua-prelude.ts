import { MATCH_SCAN_LIMIT, OVERFLOW_SCAN_LIMIT } from '../../acd/memory-store.js';

/**
 * Shared Lua for every ACD script: the SAME rules as src/acd/memory-store.ts (eligibility, policies, queue order,
 * state table), written once more in Lua because a match must be one atomic step inside Redis. The differential
 * test (test/store/redis/differential.test.ts) holds the two to identical results.
 *
 * The helpers are loaded once as a Redis function library (FUNCTION LOAD): with EVAL they would be re-created on
 * every call, which measured ~20 µs per script here, more than the work of most operations.
 *
 * Calling convention: KEYS[1] is the hotline's key prefix `acd:{hotline}:` (its hash tag puts every key of the
 * hotline in one Redis Cluster slot; the scripts only touch keys under that prefix). ARGV[1] = now (ms, from the
 * store's clock), ARGV[2] = lease ms, ARGV[3] = event stream MAXLEN (0 = no events); ARGV[4..] are the operation's.
 * Errors are raised as `ACD <CODE>\t<details json>\t<message>` before anything is written.
 */
export const LUA_PRELUDE = String.raw`
local SCAN = ${MATCH_SCAN_LIMIT}
local OVERFLOW_SCAN = ${OVERFLOW_SCAN_LIMIT}
-- redis.call does not exist while a library loads, only when its functions run: begin() binds it.
local R
-- Per-call state, reset by begin(): a function library's locals live as long as the library, and Redis runs one
-- function at a time, so this is safe and saves re-creating every helper on each call (as EVAL would).
local P, NOW, LEASE, MAXLEN
local OFFERS, QD, LIVE, EVENTS = {}, {}, {}, {}
local function begin(keys, args)
  R = redis.call
  P = keys[1]
  NOW = tonumber(args[1])
  LEASE = tonumber(args[2])
  MAXLEN = tonumber(args[3])
  OFFERS, QD, LIVE, EVENTS = {}, {}, {}, {}
end

local function fmt(n) return string.format('%.17g', n) end
local function fail(code, msg, details)
  error({err = 'ACD ' .. code .. '\t' .. cjson.encode(details or {}) .. '\t' .. msg})
end
-- Events of one operation go to the stream as ONE entry (field e = JSON array): one XADD per operation, not per event.
local function emit(ev)
  if MAXLEN > 0 then
    ev.at = NOW
    EVENTS[#EVENTS + 1] = ev
  end
end
-- Trimming is left to tick() (once a second): a MAXLEN on every XADD cost several times the append itself.
local function flush()
  if #EVENTS > 0 then R('XADD', P .. 'events', '*', 'e', cjson.encode(EVENTS)) end
end

local TRANS = {
  ['logged-out'] = {['not-ready'] = true},
  ['not-ready'] = {['ready'] = true, ['not-ready'] = true, ['logged-out'] = true},
  ['ready'] = {['reserved'] = true, ['not-ready'] = true, ['logged-out'] = true},
  ['reserved'] = {['ringing'] = true, ['on-call'] = true, ['ready'] = true, ['not-ready'] = true},
  ['ringing'] = {['on-call'] = true, ['ready'] = true, ['not-ready'] = true},
  ['on-call'] = {['wrap-up'] = true, ['ready'] = true},
  ['wrap-up'] = {['ready'] = true, ['not-ready'] = true, ['logged-out'] = true},
}
local HOLDING = {['reserved'] = true, ['ringing'] = true, ['on-call'] = true}

local function checkTransition(aid, from, to)
  if not TRANS[from][to] then
    fail('AGENT_BAD_TRANSITION', 'agent ' .. aid .. ': cannot go from ' .. from .. ' to ' .. to, {agentId = aid, from = from, to = to})
  end
end
local function checkRequest(aid, from, to)
  if HOLDING[from] then
    fail('AGENT_BAD_TRANSITION', 'agent ' .. aid .. ': cannot go from ' .. from .. ' to ' .. to .. ' while holding a call', {agentId = aid, from = from, to = to})
  end
  checkTransition(aid, from, to)
end

-- Decoded JSON kept across calls, keyed by key name and validated by the stored string itself: Lua interns
-- strings, so comparing the freshly read value with the cached one is a pointer compare. Saves a cjson.decode
-- (several us) per agent and queue touched. Read-only tables; dropped wholesale when it grows large.
local DECODED, DECODED_N = {}, 0
local function decodeCached(key, js)
  local c = DECODED[key]
  if c and c.js == js then return c.t end
  if DECODED_N > 50000 then DECODED, DECODED_N = {}, 0 end
  local t = cjson.decode(js)
  DECODED[key] = {js = js, t = t}
  DECODED_N = DECODED_N + 1
  return t
end

-- Queue definition (qd:<q>, JSON {prio, policy, sec?, qa?, sticky, wrap}), read once per call.
local function qdef(q)
  local d = QD[q]
  if d == nil then
    local key = P .. 'qd:' .. q
    local js = R('GET', key)
    if not js then d = false else d = decodeCached(key, js) end
    QD[q] = d
  end
  return d
end

local function live(inst)
  local v = LIVE[inst]
  if v == nil then
    local s = R('ZSCORE', P .. 'leases', inst)
    v = (s and tonumber(s) > NOW) or false
    LIVE[inst] = v
  end
  return v
end

local function agentGet(aid)
  local v = R('HMGET', P .. 'a:' .. aid, 'state', 'reason', 'since', 'readySince', 'talk', 'call', 'serves')
  if not v[1] then return nil end
  return {key = P .. 'a:' .. aid, state = v[1], reason = v[2], since = tonumber(v[3]), readySince = tonumber(v[4]), talk = tonumber(v[5]), call = v[6], servesJson = v[7]}
end
local function agentOrFail(aid)
  local a = agentGet(aid)
  if not a then fail('AGENT_UNKNOWN', 'unknown agent ' .. aid, {agentId = aid}) end
  return a
end
local function servesOf(a)
  if not a.serves then a.serves = decodeCached(a.key, a.servesJson) end
  return a.serves
end

local function callGet(cid)
  local v = R('HMGET', P .. 'c:' .. cid, 'q', 'caller', 'prio', 'owner', 'at', 'score', 'st', 'agent', 'sticky', 'offAt', 'ansAt')
  if not v[1] then return nil end
  return {q = v[1], caller = v[2], prio = tonumber(v[3]), owner = v[4], at = tonumber(v[5]), score = tonumber(v[6]), st = v[7],
    agent = v[8] or '', sticky = v[9] or '', offAt = tonumber(v[10]) or 0, ansAt = tonumber(v[11]) or 0}
end
local function callOrFail(cid, st)
  local c = callGet(cid)
  if not c then fail('CALL_UNKNOWN', 'unknown call ' .. cid, {callId = cid}) end
  if st and c.st ~= st then fail('CALL_BAD_STATE', 'call ' .. cid .. ' is ' .. c.st .. ', expected ' .. st, {callId = cid, state = c.st, expected = st}) end
  return c
end

local function stageAllows(via, w, d)
  if via == 'primary' then return true end
  if via == 'secondary' then return d.sec ~= nil and w >= d.sec * 1000 end
  return d.qa ~= nil and w >= d.qa * 1000
end

local function readyScore(policy, rs, talk, sk, rr)
  if policy == 'longest-idle' then return rs end
  if policy == 'highest-skill' then return -sk * 4398046511104 + rs end
  if policy == 'least-talk-time' then return talk end
  return rr
end

local function addReady(aid, a)
  for _, e in ipairs(servesOf(a)) do
    local d = qdef(e.queueId)
    if d then
      local rr = 0
      if d.policy == 'round-robin' then rr = tonumber(R('HGET', P .. 'a:' .. aid, 'rr:' .. e.queueId) or '0') end
      R('ZADD', P .. 'r:' .. e.queueId .. ':' .. e.via, fmt(readyScore(d.policy, a.readySince, a.talk, e.skillScore, rr)), aid)
    end
  end
end
local function removeReady(aid, a)
  for _, e in ipairs(servesOf(a)) do R('ZREM', P .. 'r:' .. e.queueId .. ':' .. e.via, aid) end
end

-- extra: more agent fields to write in the same HSET (the call it now holds, talk time), one command instead of three.
local NONE = {}
local function setState(aid, a, to, reason, extra)
  extra = extra or NONE
  local from = a.state
  if from == 'ready' then removeReady(aid, a) end
  a.state = to
  local k = P .. 'a:' .. aid
  if to == 'not-ready' then
    reason = reason or 'other'
    a.reason = reason
    R('HSET', k, 'state', to, 'since', NOW, 'reason', reason, unpack(extra))
    emit({type = 'agent-state', agentId = aid, from = from, to = to, reason = reason})
    return
  end
  if a.reason then
    R('HDEL', k, 'reason')
    a.reason = false
  end
  emit({type = 'agent-state', agentId = aid, from = from, to = to})
  if to == 'ready' then
    a.readySince = NOW
    R('HSET', k, 'state', to, 'since', NOW, 'readySince', NOW, unpack(extra))
    addReady(aid, a)
  else
    R('HSET', k, 'state', to, 'since', NOW, unpack(extra))
  end
end

local function addWaiting(cid, c)
  R('ZADD', P .. 'q:' .. c.q, fmt(c.score), cid)
  if c.sticky ~= '' then R('ZADD', P .. 'st:' .. c.sticky, fmt(c.at), cid) end
end
local function removeWaiting(cid, c)
  if c.inQueue == false then return end
  R('ZREM', P .. 'q:' .. c.q, cid)
  if c.sticky ~= '' then R('ZREM', P .. 'st:' .. c.sticky, cid) end
end
local function deleteCall(cid, c)
  R('DEL', P .. 'c:' .. cid)
  R('ZREM', P .. 'ic:' .. c.owner, cid)
end

local function doMatch(cid, c, aid, a, via)
  removeWaiting(cid, c)
  c.st = 'offered'
  c.agent = aid
  R('HSET', P .. 'c:' .. cid, 'st', 'offered', 'agent', aid, 'offAt', NOW)
  local offer = {callId = cid, queueId = c.q, agentId = aid, ownerInstance = c.owner, waitedMs = NOW - c.at, via = via}
  emit({type = 'offered', callId = cid, queueId = c.q, agentId = aid, ownerInstance = c.owner, waitedMs = NOW - c.at, via = via})
  if qdef(c.q).policy == 'round-robin' then
    setState(aid, a, 'reserved', nil, {'call', cid, 'rr:' .. c.q, R('HINCRBY', P .. 'seq', 'rr:' .. c.q, 1)})
  else
    setState(aid, a, 'reserved', nil, {'call', cid})
  end
  R('RPUSH', P .. 'in:' .. c.owner, cjson.encode(offer))
  OFFERS[#OFFERS + 1] = offer
  return offer
end

local function matchForCall(cid, c)
  if not live(c.owner) then return nil end
  local d = qdef(c.q)
  local w = NOW - c.at
  if c.sticky ~= '' and w < d.sticky * 1000 then
    local s = agentGet(c.sticky)
    if s and s.state == 'ready' then return doMatch(cid, c, c.sticky, s, 'sticky') end
    return nil
  end
  local base = P .. 'r:' .. c.q .. ':'
  local via = 'primary'
  local id = R('ZRANGE', base .. 'primary', 0, 0)[1]
  if not id and stageAllows('secondary', w, d) then
    id = R('ZRANGE', base .. 'secondary', 0, 0)[1]
    via = 'secondary'
  end
  if not id and stageAllows('overflow-queue', w, d) then
    id = R('ZRANGE', base .. 'overflow-queue', 0, 0)[1]
    via = 'overflow-queue'
  end
  if not id then return nil end
  return doMatch(cid, c, id, agentGet(id), via)
end

local function matchForAgent(aid, a)
  local st = R('ZRANGE', P .. 'st:' .. aid, 0, SCAN - 1)
  for _, cid in ipairs(st) do
    local c = callGet(cid)
    if live(c.owner) then return doMatch(cid, c, aid, a, 'sticky') end
  end
  local best = nil
  for _, e in ipairs(servesOf(a)) do
    local d = qdef(e.queueId)
    if d then
      local lim = SCAN
      if e.via ~= 'primary' then lim = OVERFLOW_SCAN end
      local qk = P .. 'q:' .. e.queueId
      -- The head is usually the answer: read it alone first, the rest of the window only if it is not eligible.
      local ids = R('ZRANGE', qk, 0, 0)
      local i = 1
      while ids[i] do
        local cid = ids[i]
        -- Only what eligibility needs; the full call is read for the winner alone.
        local v = R('HMGET', P .. 'c:' .. cid, 'at', 'sticky', 'owner', 'prio')
        local at, sticky = tonumber(v[1]), v[2] or ''
        local w = NOW - at
        if live(v[3]) and not (sticky ~= '' and sticky ~= aid and w < d.sticky * 1000) and stageAllows(e.via, w, d) then
          local prio = tonumber(v[4])
          local better = false
          if best == nil then better = true
          elseif d.prio ~= best.qp then better = d.prio > best.qp
          elseif prio ~= best.cp then better = prio > best.cp
          else better = at < best.at end
          if better then best = {qp = d.prio, cp = prio, at = at, cid = cid, via = e.via} end
          break
        end
        if i == 1 and lim > 1 then
          ids = R('ZRANGE', qk, 0, lim - 1)
        end
        i = i + 1
      end
    end
  end
  if best then return doMatch(best.cid, callGet(best.cid), aid, a, best.via) end
  return nil
end

local function finish(cid, c, hungUpBy)
  local aid = c.agent
  local a = agentGet(aid)
  local d = qdef(c.q)
  local talk = NOW - c.ansAt
  a.talk = a.talk + talk
  local fields = {'talk', a.talk, 'call', ''}
  R('SET', P .. 'last:' .. c.caller, aid, 'EX', 7776000)
  deleteCall(cid, c)
  emit({type = 'ended', callId = cid, agentId = aid, talkMs = talk, hungUpBy = hungUpBy})
  local wrap = (d and d.wrap) or 0
  if wrap > 0 then
    setState(aid, a, 'wrap-up', nil, fields)
    return {agentId = aid, wrapUpSec = wrap}
  end
  setState(aid, a, 'ready', nil, fields)
  return {agentId = aid, wrapUpSec = 0, offer = matchForAgent(aid, a)}
end
`;
