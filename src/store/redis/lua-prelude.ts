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
 *
 * Cost notes (measured on Redis 7.0, where the time of a function goes far more into Lua and the call bridge than
 * into the commands themselves): a Lua number passed to redis.call is formatted with printf("%.17g") (~1 us
 * each), so times travel as the caller's string (NOWS) and computed integers through fmt() ('%d'); every field
 * an HMGET returns costs ~0.3 us, so reads name only the fields the operation uses; cjson.encode formats numbers
 * with printf too, so offers, events and hot results are written as JSON by hand (jstr escapes via cjson only
 * when a string needs it).
 */
export const LUA_PRELUDE = String.raw`
local SCAN = ${MATCH_SCAN_LIMIT}
local OVERFLOW_SCAN = ${OVERFLOW_SCAN_LIMIT}
local SCAN_LAST = '${MATCH_SCAN_LIMIT - 1}'
-- redis.call does not exist while a library loads, only when its functions run: begin() binds it.
local R
-- Per-call state, reset by begin(): a function library's locals live as long as the library, and Redis runs one
-- function at a time, so this is safe and saves re-creating every helper on each call (as EVAL would).
local P, NOW, NOWS, LEASE, MAXLEN
local OFFERS, QD, LIVE, EVENTS = {}, {}, {}, {}
local function begin(keys, args)
  R = redis.call
  P = keys[1]
  NOWS = args[1]
  NOW = tonumber(NOWS)
  LEASE = tonumber(args[2])
  MAXLEN = tonumber(args[3])
  -- EVENTS and QD are not reset here but per function call: a batch (see lua-ops.ts) appends the events of all its
  -- operations, in order, and reads each queue definition once.
  OFFERS, LIVE = {}, {}
end

-- Every score and time here is an integer below 2^53: '%d' prints it exactly and much faster than '%.17g'.
local function fmt(n)
  if n % 1 == 0 then return string.format('%d', n) end
  return string.format('%.17g', n)
end
-- A JSON string literal: ids are plain in practice, so cjson (and its escaping) only runs when one is not.
local function jstr(s)
  if string.find(s, '[%c"\\]') then return cjson.encode(s) end
  return '"' .. s .. '"'
end
local function fail(code, msg, details)
  error({err = 'ACD ' .. code .. '\t' .. cjson.encode(details or {}) .. '\t' .. msg})
end
-- Events of one operation go to the stream as ONE entry (field e = JSON array): one XADD per operation, not per event.
-- emit(type, key1, value1, key2, value2, ...): string values are quoted, numbers printed, nil values left out.
local function emit(tp, ...)
  if MAXLEN > 0 then
    local parts = {'{"type":"', tp, '","at":', NOWS}
    for i = 1, select('#', ...), 2 do
      local k, v = select(i, ...)
      if v ~= nil then
        if type(v) == 'number' then v = fmt(v) else v = jstr(v) end
        parts[#parts + 1] = ',"' .. k .. '":' .. v
      end
    end
    parts[#parts + 1] = '}'
    EVENTS[#EVENTS + 1] = table.concat(parts)
  end
end
local function emitRaw(json)
  if MAXLEN > 0 then EVENTS[#EVENTS + 1] = json end
end
-- Trimming is left to tick() (once a second): a MAXLEN on every XADD cost several times the append itself.
local function flush()
  if #EVENTS > 0 then R('XADD', P .. 'events', '*', 'e', '[' .. table.concat(EVENTS, ',') .. ']') end
end
-- Results: an offer is carried as its JSON text (built once in doMatch), or nil.
local function offerResult(offer) return '{"offer":' .. (offer or 'null') .. '}' end
local function offersJson() return '[' .. table.concat(OFFERS, ',') .. ']' end

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
-- AFTER_CALL_WAITS of src/acd/states.ts: where a "not ready after this call" request waits.
local AFTER_WAITS = {['reserved'] = true, ['ringing'] = true, ['on-call'] = true, ['wrap-up'] = true}

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
local function decodeCached(key, js, post)
  local c = DECODED[key]
  if c and c.js == js then return c.t end
  if DECODED_N > 50000 then DECODED, DECODED_N = {}, 0 end
  local t = cjson.decode(js)
  if post then t = post(t) end
  DECODED[key] = {js = js, t = t}
  DECODED_N = DECODED_N + 1
  return t
end

-- Queue definition (qd:<q>, JSON {prio, policy, sec?, qa?, sticky, wrap}), read once per function call: QD is reset
-- per call, not per operation, since nothing can change a definition while a call (or a batch) runs. One small
-- key per queue, not one for all: this Redis hashes every byte of every string it hands to Lua.
local function qdef(q)
  local d = QD[q]
  if d == nil then
    local key = P .. 'qd:' .. q
    local js = R('GET', key)
    if not js then d = false else d = decodeCached(key, js) end
    QD[q] = d
  end
  return d or nil
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

-- Only what the scripts use: readySince is always rewritten (to now) before it is read, and since / call are
-- only ever written here. after: the pending after-call request ('' or absent: none).
local function agentGet(aid)
  local key = P .. 'a:' .. aid
  local v = R('HMGET', key, 'state', 'reason', 'talk', 'serves', 'after', 'unreach')
  if not v[1] then return nil end
  -- reach: false while the seat has no live registration (field unreach = '1', set by setRegistration / expire).
  return {key = key, state = v[1], reason = v[2], talk = tonumber(v[3]), servesJson = v[4], after = v[5] or '', reach = v[6] ~= '1'}
end
local function agentOrFail(aid)
  local a = agentGet(aid)
  if not a then fail('AGENT_UNKNOWN', 'unknown agent ' .. aid, {agentId = aid}) end
  return a
end
-- serves is stored compactly ([[queue, via, skillScore], ...]: fewer bytes to hash on every read) and expanded once
-- per agent key, with the names of the keys it touches built then instead of on every use.
local function expandServes(list)
  local out = {}
  for i, e in ipairs(list) do
    -- Agents logged in by an earlier library version carry {queueId, via, skillScore} objects.
    local q, via, sk = e[1], e[2], e[3]
    if q == nil then q, via, sk = e.queueId, e.via, e.skillScore end
    out[i] = {queueId = q, via = via, skillScore = sk, rkey = P .. 'r:' .. q .. ':' .. via, qkey = P .. 'q:' .. q}
  end
  return out
end
local function servesOf(a)
  if not a.serves then a.serves = decodeCached(a.key, a.servesJson, expandServes) end
  return a.serves
end

-- The stored score is never read back: it is recomputed whenever a call (re-)enters its queue.
local function callGet(cid)
  local v = R('HMGET', P .. 'c:' .. cid, 'q', 'caller', 'prio', 'owner', 'at', 'st', 'agent', 'sticky', 'offAt', 'ansAt', 'hold')
  if not v[1] then return nil end
  -- hold: the sticky window in ms (absent on calls queued by an earlier library version: the queue's sticky seconds).
  return {q = v[1], caller = v[2], prio = tonumber(v[3]), owner = v[4], at = tonumber(v[5]), st = v[6],
    agent = v[7] or '', sticky = v[8] or '', offAt = tonumber(v[9]) or 0, ansAt = tonumber(v[10]) or 0, hold = tonumber(v[11])}
end
-- What answering, ringing and ending a call read (no queue position, priority or sticky hold: the call is out of
-- its queue by then).
local function callGetHeld(cid)
  local v = R('HMGET', P .. 'c:' .. cid, 'q', 'caller', 'owner', 'st', 'agent', 'offAt', 'ansAt')
  if not v[1] then return nil end
  return {q = v[1], caller = v[2], owner = v[3], st = v[4], agent = v[5] or '', offAt = tonumber(v[6]) or 0, ansAt = tonumber(v[7]) or 0}
end
local function callOrFail(cid, st, held)
  local c
  if held then c = callGetHeld(cid) else c = callGet(cid) end
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
      if d.policy == 'round-robin' then rr = tonumber(R('HGET', a.key, 'rr:' .. e.queueId) or '0') end
      R('ZADD', e.rkey, fmt(readyScore(d.policy, a.readySince, a.talk, e.skillScore, rr)), aid)
    end
  end
end
local function removeReady(aid, a)
  for _, e in ipairs(servesOf(a)) do R('ZREM', e.rkey, aid) end
end

-- Defined after matching (it matches the calls it releases); setState calls it when an agent logs out.
local releaseHolds

-- extra: more agent fields to write in the same HSET (the call it now holds, talk time), one command instead of three.
local NONE = {}
local function setState(aid, a, to, reason, extra)
  extra = extra or NONE
  local from = a.state
  if from == 'ready' then removeReady(aid, a) end
  a.state = to
  local k = P .. 'a:' .. aid
  -- Leaving wrap-up, by its deadline or by a request: the deadline goes with it.
  if from == 'wrap-up' then
    R('ZREM', P .. 'dl', aid)
    R('HDEL', k, 'wrapUntil')
  end
  if to == 'not-ready' then
    reason = reason or 'other'
    a.reason = reason
    R('HSET', k, 'state', to, 'since', NOWS, 'reason', reason, unpack(extra))
    emit('agent-state', 'agentId', aid, 'from', from, 'to', to, 'reason', reason)
    return
  end
  if a.reason then
    R('HDEL', k, 'reason')
    a.reason = false
  end
  emit('agent-state', 'agentId', aid, 'from', from, 'to', to)
  if to == 'ready' then
    a.readySince = NOW
    R('HSET', k, 'state', to, 'since', NOWS, 'readySince', NOWS, unpack(extra))
    if a.reach then addReady(aid, a) end
  else
    R('HSET', k, 'state', to, 'since', NOWS, unpack(extra))
  end
  -- The agent left: callers held for it as their last agent need not wait out the sticky window.
  if to == 'logged-out' then releaseHolds(aid) end
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
-- A retired queue (removed from the configuration while it held calls) disappears with its last call.
local function dropQueue(q)
  R('DEL', P .. 'qd:' .. q, P .. 'qdjson:' .. q, P .. 'q:' .. q, P .. 'r:' .. q .. ':primary', P .. 'r:' .. q .. ':secondary', P .. 'r:' .. q .. ':overflow-queue')
  local order = cjson.decode(R('GET', P .. 'qorder') or '[]')
  local out = {}
  for _, x in ipairs(order) do if x ~= q then out[#out + 1] = jstr(x) end end
  R('SET', P .. 'qorder', '[' .. table.concat(out, ',') .. ']')
  QD[q] = false
end
local function leaveQueue(q)
  local d = qdef(q)
  if d and d.retired and R('HINCRBY', P .. 'qn', q, '-1') <= 0 then
    R('HDEL', P .. 'qn', q)
    dropQueue(q)
  end
end
local function deleteCall(cid, c)
  R('DEL', P .. 'c:' .. cid)
  R('ZREM', P .. 'ic:' .. c.owner, cid)
  leaveQueue(c.q)
end

-- Returns the offer as JSON text (the inbox entry, the operation's result and the body of the offered event).
-- newFields: the call's other fields when it is being created (enqueue), written in the same HSET.
local function doMatch(cid, c, aid, a, via, newFields)
  removeWaiting(cid, c)
  c.st = 'offered'
  c.agent = aid
  if newFields then
    R('HSET', P .. 'c:' .. cid, 'st', 'offered', 'agent', aid, 'offAt', NOWS, unpack(newFields))
  else
    R('HSET', P .. 'c:' .. cid, 'st', 'offered', 'agent', aid, 'offAt', NOWS)
  end
  local body = '"callId":' .. jstr(cid) .. ',"queueId":' .. jstr(c.q) .. ',"agentId":' .. jstr(aid) .. ',"ownerInstance":' .. jstr(c.owner)
    .. ',"waitedMs":' .. fmt(NOW - c.at) .. ',"via":"' .. via .. '"}'
  emitRaw('{"type":"offered","at":' .. NOWS .. ',' .. body)
  local offer = '{' .. body
  if qdef(c.q).policy == 'round-robin' then
    setState(aid, a, 'reserved', nil, {'call', cid, 'rr:' .. c.q, fmt(R('HINCRBY', P .. 'seq', 'rr:' .. c.q, '1'))})
  else
    setState(aid, a, 'reserved', nil, {'call', cid})
  end
  R('RPUSH', P .. 'in:' .. c.owner, offer)
  OFFERS[#OFFERS + 1] = offer
  return offer
end

local function matchForCall(cid, c, newFields)
  if not live(c.owner) then return nil end
  local d = qdef(c.q)
  local w = NOW - c.at
  if c.sticky ~= '' and w < (c.hold or d.sticky * 1000) then
    local s = agentGet(c.sticky)
    if s and s.state == 'ready' and s.reach then return doMatch(cid, c, c.sticky, s, 'sticky', newFields) end
    return nil
  end
  local base = P .. 'r:' .. c.q .. ':'
  local via = 'primary'
  local id = R('ZRANGE', base .. 'primary', '0', '0')[1]
  if not id and stageAllows('secondary', w, d) then
    id = R('ZRANGE', base .. 'secondary', '0', '0')[1]
    via = 'secondary'
  end
  if not id and stageAllows('overflow-queue', w, d) then
    id = R('ZRANGE', base .. 'overflow-queue', '0', '0')[1]
    via = 'overflow-queue'
  end
  if not id then return nil end
  return doMatch(cid, c, id, agentGet(id), via, newFields)
end

local function matchForAgent(aid, a)
  if not a.reach then return nil end
  -- Usually nothing waits for this agent: one EXISTS over its sticky holds and every queue it serves (empty sets
  -- do not exist in Redis) answers that, instead of one ZRANGE per key.
  local keys = {P .. 'st:' .. aid}
  for _, e in ipairs(servesOf(a)) do
    if qdef(e.queueId) then keys[#keys + 1] = e.qkey end
  end
  if R('EXISTS', unpack(keys)) == 0 then return nil end
  local st = R('ZRANGE', keys[1], '0', SCAN_LAST)
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
      local last = lim - 1
      local qk = e.qkey
      -- The head is usually the answer: read it alone first, the rest of the window only if it is not eligible.
      local ids = R('ZRANGE', qk, '0', '0')
      local i = 1
      while ids[i] do
        local cid = ids[i]
        -- Only what eligibility needs; the full call is read for the winner alone.
        local v = R('HMGET', P .. 'c:' .. cid, 'at', 'sticky', 'owner', 'prio', 'hold')
        local at, sticky = tonumber(v[1]), v[2] or ''
        local w = NOW - at
        if live(v[3]) and not (sticky ~= '' and sticky ~= aid and w < (tonumber(v[5]) or d.sticky * 1000)) and stageAllows(e.via, w, d) then
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
          ids = R('ZRANGE', qk, '0', fmt(last))
        end
        i = i + 1
      end
    end
  end
  if best then return doMatch(best.cid, callGet(best.cid), aid, a, best.via) end
  return nil
end

-- The pending after-call request replaces what would come next (ready and a match, or staying not-ready(missed)).
local function applyAfter(aid, a)
  local nxt = a.after
  a.after = ''
  if nxt == 'logout' then
    checkTransition(aid, a.state, 'logged-out')
    setState(aid, a, 'logged-out', nil, {'after', ''})
  else
    checkTransition(aid, a.state, 'not-ready')
    setState(aid, a, 'not-ready', nxt, {'after', ''})
  end
end
-- An agent just made ready by the end of its call: its after-call request if it made one, else the next call.
local function releaseToNext(aid, a)
  if a.after == '' then return matchForAgent(aid, a) end
  applyAfter(aid, a)
  return nil
end

releaseHolds = function(aid)
  local key = P .. 'st:' .. aid
  local ids = R('ZRANGE', key, '0', '-1')
  if #ids == 0 then return end
  R('DEL', key)
  for _, cid in ipairs(ids) do R('HSET', P .. 'c:' .. cid, 'sticky', '') end
  for _, cid in ipairs(ids) do
    local c = callGet(cid)
    if c.st == 'waiting' then matchForCall(cid, c) end
  end
end

-- The seat is gone: no offers (the agent keeps its state, as app_queue keeps an unavailable member).
local function unreachable(aid, a)
  a.reach = false
  R('HSET', a.key, 'unreach', '1')
  if a.state == 'ready' then removeReady(aid, a) end
  releaseHolds(aid)
end

-- Matches waiting calls queue by queue (tick, and configure after a change of queues or skills).
local function matchWaiting()
  local order = cjson.decode(R('GET', P .. 'qorder') or '[]')
  for _, q in ipairs(order) do
    local d = qdef(q)
    if d and R('ZCARD', P .. 'q:' .. q) > 0 then
      local base = P .. 'r:' .. q .. ':'
      local any = R('ZCARD', base .. 'primary') > 0 or R('ZCARD', base .. 'secondary') > 0 or R('ZCARD', base .. 'overflow-queue') > 0
      local ids = R('ZRANGE', P .. 'q:' .. q, '0', SCAN_LAST)
      if not any and d.sticky > 0 then
        for _, cid in ipairs(ids) do
          local c = callGet(cid)
          if c.sticky ~= '' then
            local s = agentGet(c.sticky)
            if s and s.state == 'ready' and s.reach then any = true break end
          end
        end
      end
      if any then
        for _, cid in ipairs(ids) do
          local c = callGet(cid)
          if c.st == 'waiting' then matchForCall(cid, c) end
        end
      end
    end
  end
end

local function finish(cid, c, hungUpBy)
  local aid = c.agent
  local a = agentGet(aid)
  local d = qdef(c.q)
  local talk = NOW - c.ansAt
  a.talk = a.talk + talk
  local fields = {'talk', fmt(a.talk), 'call', ''}
  -- '<agent>|<ended at ms>': the agent for sticky routing, the time for the IVR's returning-caller node.
  R('SET', P .. 'last:' .. c.caller, aid .. '|' .. NOWS, 'EX', '7776000')
  deleteCall(cid, c)
  emit('ended', 'callId', cid, 'agentId', aid, 'talkMs', talk, 'hungUpBy', hungUpBy)
  local wrap = (d and d.wrap) or 0
  if wrap > 0 then
    -- The wrap-up's end is data (dl, scored by its time): any live instance ends it (expire, reap) if this one dies.
    local untilS = fmt(NOW + wrap * 1000)
    fields[#fields + 1] = 'wrapUntil'
    fields[#fields + 1] = untilS
    setState(aid, a, 'wrap-up', nil, fields)
    R('ZADD', P .. 'dl', untilS, aid)
    return aid, wrap, nil
  end
  setState(aid, a, 'ready', nil, fields)
  return aid, 0, releaseToNext(aid, a)
end

-- The pending after-call request, else ready and the next call (wrapUpDone and a due wrap-up deadline).
local function endWrapUp(aid, a)
  if a.after ~= '' then
    applyAfter(aid, a)
    return nil
  end
  setState(aid, a, 'ready')
  return matchForAgent(aid, a)
end

-- Ends every deadline due now: wrap-ups (dl), then registrations (regdl), each in (time, agent id) order.
local function expireDue()
  local ended, lost = {}, {}
  for _, aid in ipairs(R('ZRANGEBYSCORE', P .. 'dl', '-inf', NOWS)) do
    R('ZREM', P .. 'dl', aid)
    local a = agentGet(aid)
    if a and a.state == 'wrap-up' then
      ended[#ended + 1] = aid
      endWrapUp(aid, a)
    end
  end
  for _, aid in ipairs(R('ZRANGEBYSCORE', P .. 'regdl', '-inf', NOWS)) do
    R('ZREM', P .. 'regdl', aid)
    local a = agentGet(aid)
    if a and a.reach then
      lost[#lost + 1] = aid
      unreachable(aid, a)
    end
  end
  return ended, lost
end
-- cjson writes an empty table as {}: lists of ids are written by hand.
local function idList(t)
  local out = {}
  for i, x in ipairs(t) do out[i] = jstr(x) end
  return '[' .. table.concat(out, ',') .. ']'
end

`;
