import { EARLY_ENDS } from "../memory-table.js";
import { LUA_COMMON } from "./common.js";

/** Lua helpers of the call scripts: the early ends of a segment (ADR 0086), kept ascending. */
const LUA_EARLY = `
-- The early end a start at \`at\` cancels: the earliest not older than the start by more than the slack.
local function matchEarly(e, at)
  for k, t in ipairs(e) do
    if t + ${EARLY_ENDS.slackMs} >= at then return k end
  end
  return nil
end

-- Adds an early end in order; beyond the bound the oldest is forgotten.
local function addEarly(e, at)
  local k = #e + 1
  while k > 1 and e[k - 1] > at do k = k - 1 end
  table.insert(e, k, at)
  if #e > ${EARLY_ENDS.maxPerVersion} then table.remove(e, 1) end
end

local function busy(rec)
  for _, g in ipairs(rec.segs) do
    if g.c > 0 then return true end
  end
  return false
end
`;

/**
 * Call starts for one service, atomically with violation detection. A start that an early end
 * of its version waits for cancels it instead of counting.
 * KEYS: n live call buckets (current first, see lookupBuckets), the bucket index, the service's stats hash, its
 * violations list. ARGV: n, current bucket id, its ttl (ms), recent limit, service, then
 * (txn, traceId, version, at) per start. Returns the new violations as JSON strings.
 */
export const CALL_START_LUA = `${LUA_COMMON}${LUA_EARLY}
local n = tonumber(ARGV[1])
local cur, index, stats, vlist = KEYS[1], KEYS[n + 1], KEYS[n + 2], KEYS[n + 3]
local limit = tonumber(ARGV[4])
local service = ARGV[5]
local out, created = {}, false
for i = 6, #ARGV, 4 do
  local txn, trace, ver, at = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local key, raw = find(n, txn)
  local rec
  if raw then
    rec = decodeCall(raw)
  else
    key, created = cur, true
    rec = { trace = trace, flag = '', segs = {} }
  end
  if rec.trace == '' then rec.trace = trace end
  local seg, pos
  for j, g in ipairs(rec.segs) do
    if g.v == ver then seg, pos = g, j end
  end
  local fresh = false
  if not seg then
    seg = { v = ver, c = 0, s = at, l = at, e = {}, u = false }
    rec.segs[#rec.segs + 1] = seg
    fresh = true
  elseif seg.u then
    -- The first start of a version only early ends had reached: new to the detector, and moved
    -- last so that a violation lists versions in the order their starts arrived.
    table.remove(rec.segs, pos)
    rec.segs[#rec.segs + 1] = seg
    seg.u, seg.s, fresh = false, at, true
  end
  local k = matchEarly(seg.e, at)
  if k then
    local t = table.remove(seg.e, k)
    seg.l = math.max(seg.l, at, t)
    if not busy(rec) then rec.trace = '' end
  else
    if seg.c == 0 then redis.call('HINCRBY', key, '#t:' .. ver, 1) end
    seg.c = seg.c + 1
    if at > seg.l then seg.l = at end
    redis.call('HINCRBY', key, '#c:' .. ver, 1)
  end
  if fresh and rec.flag == '' then
    local versions = {}
    for _, g in ipairs(rec.segs) do
      if not g.u then versions[#versions + 1] = g.v end
    end
    if #versions > 1 then
      rec.flag = 'x'
      local v = cjson.encode({ txn = txn, service = service, versions = versions, at = at })
      redis.call('LPUSH', vlist, v)
      redis.call('LTRIM', vlist, 0, limit - 1)
      redis.call('HINCRBY', stats, 'violations', 1)
      out[#out + 1] = v
    end
  end
  redis.call('HSET', key, txn, encodeCall(rec))
end
if created then
  redis.call('PEXPIRE', cur, ARGV[3])
  redis.call('ZADD', index, ARGV[2], ARGV[2])
end
return out
`;

/**
 * Call ends for one service. An end with no active call of its version is kept as an early end
 * in the transaction's record, or in a new record in the bucket of its time (ADR 0086).
 * KEYS: n live call buckets (current first, see lookupBuckets), the bucket index. ARGV: n, current
 * bucket id, bucket width (ms), now (ms), the ttl past a bucket's end (ms), then (txn, version, at)
 * per end. Returns how many ends found no active call (clamped, kept as early ends).
 */
export const CALL_END_LUA = `${LUA_COMMON}${LUA_EARLY}
local n = tonumber(ARGV[1])
local cur, width, now, extra = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local index = KEYS[n + 1]
local clamped = 0
for i = 6, #ARGV, 3 do
  local txn, ver, at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local key, raw = find(n, txn)
  local done = false
  if raw then
    -- Fast path: a record with one version and no early end (nearly all of them), without tables.
    local trace, flag, v, c, st, d = string.match(raw, '^([^|]*)|([^|]*)|([^,;]*),(%d+),(%d+),(%d+)$')
    if v and v == ver and c ~= '0' then
      local left = tonumber(c) - 1
      local start = tonumber(st)
      local last = math.max(start + tonumber(d), at)
      redis.call('HINCRBY', key, '#c:' .. ver, -1)
      if left == 0 then
        redis.call('HINCRBY', key, '#t:' .. ver, -1)
        trace = '' -- nothing active here any more: keep only what the violation detector needs
      end
      redis.call('HSET', key, txn, trace .. '|' .. flag .. '|' .. v .. ',' .. int(left) .. ',' .. st .. ',' .. int(last - start))
      done = true
    else
      local rec = decodeCall(raw)
      local seg
      for _, g in ipairs(rec.segs) do
        if g.v == ver then seg = g end
      end
      if seg and seg.c > 0 then
        seg.c = seg.c - 1
        if at > seg.l then seg.l = at end
        redis.call('HINCRBY', key, '#c:' .. ver, -1)
        if seg.c == 0 then redis.call('HINCRBY', key, '#t:' .. ver, -1) end
        if not busy(rec) then rec.trace = '' end
        done = true
      elseif seg then
        addEarly(seg.e, at)
        if seg.u and at < seg.s then seg.s = at end
        if at > seg.l then seg.l = at end
      else
        rec.segs[#rec.segs + 1] = { v = ver, c = 0, s = at, l = at, e = { at }, u = true }
      end
      redis.call('HSET', key, txn, encodeCall(rec))
    end
  else
    local bkey, b = earlyBucket(n, cur, width, at)
    local seg = { v = ver, c = 0, s = at, l = at, e = { at }, u = true }
    redis.call('HSET', bkey, txn, encodeCall({ trace = '', flag = '', segs = { seg } }))
    redis.call('PEXPIRE', bkey, math.max(1000, (b + 1) * width + extra - now))
    redis.call('ZADD', index, b, b)
  end
  if not done then clamped = clamped + 1 end
end
return clamped
`;
