import { LUA_COMMON } from "./common.js";

/**
 * Call starts for one service, atomically with violation detection.
 * KEYS: n live call buckets (current first, see lookupBuckets), the bucket index, the service's stats hash, its
 * violations list. ARGV: n, current bucket id, its ttl (ms), recent limit, service, then
 * (txn, traceId, version, at) per start. Returns the new violations as JSON strings.
 */
export const CALL_START_LUA = `${LUA_COMMON}
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
  local seg
  for _, g in ipairs(rec.segs) do
    if g.v == ver then seg = g end
  end
  if seg then
    if seg.c == 0 then redis.call('HINCRBY', key, '#t:' .. ver, 1) end
    seg.c = seg.c + 1
    if at > seg.l then seg.l = at end
  else
    rec.segs[#rec.segs + 1] = { v = ver, c = 1, s = at, l = at }
    redis.call('HINCRBY', key, '#t:' .. ver, 1)
    if #rec.segs > 1 and rec.flag == '' then
      rec.flag = 'x'
      local versions = {}
      for j, g in ipairs(rec.segs) do versions[j] = g.v end
      local v = cjson.encode({ txn = txn, service = service, versions = versions, at = at })
      redis.call('LPUSH', vlist, v)
      redis.call('LTRIM', vlist, 0, limit - 1)
      redis.call('HINCRBY', stats, 'violations', 1)
      out[#out + 1] = v
    end
  end
  redis.call('HINCRBY', key, '#c:' .. ver, 1)
  redis.call('HSET', key, txn, encodeCall(rec))
end
if created then
  redis.call('PEXPIRE', cur, ARGV[3])
  redis.call('ZADD', index, ARGV[2], ARGV[2])
end
return out
`;

/**
 * Call ends for one service, clamped at zero.
 * KEYS: n live call buckets (current first, see lookupBuckets). ARGV: n, then (txn, version, at) per end.
 * Returns how many ends were clamped.
 */
export const CALL_END_LUA = `${LUA_COMMON}
local n = tonumber(ARGV[1])
local clamped = 0
for i = 2, #ARGV, 3 do
  local txn, ver, at = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local key, raw = find(n, txn)
  local done = false
  if raw then
    -- Fast path: a record with one version (nearly all of them), without building tables.
    local trace, flag, v, c, st, d = string.match(raw, '^([^|]*)|([^|]*)|([^,;]*),(%d+),(%d+),(%d+)$')
    if v then
      if v == ver and c ~= '0' then
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
      end
    else
      local rec = decodeCall(raw)
      for _, g in ipairs(rec.segs) do
        if g.v == ver and g.c > 0 then
          g.c = g.c - 1
          if at > g.l then g.l = at end
          redis.call('HINCRBY', key, '#c:' .. ver, -1)
          if g.c == 0 then redis.call('HINCRBY', key, '#t:' .. ver, -1) end
          local busy = false
          for _, h in ipairs(rec.segs) do
            if h.c > 0 then busy = true end
          end
          if not busy then rec.trace = '' end
          redis.call('HSET', key, txn, encodeCall(rec))
          done = true
        end
      end
    end
  end
  if not done then clamped = clamped + 1 end
end
return clamped
`;
