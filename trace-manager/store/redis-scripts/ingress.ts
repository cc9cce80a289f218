import { LUA_COMMON } from "./common.js";

/**
 * Ingress starts for one gateway; a start of an in-flight transaction is ignored.
 * KEYS: n live ingress buckets (current first, see lookupBuckets), the bucket index, the gateway's stats hash.
 * ARGV: n, current bucket id, its ttl (ms), then (txn, traceId, at, enrolments) per start, with
 * enrolments as `<upgrade>:<1|0>,…`.
 */
export const INGRESS_START_LUA = `${LUA_COMMON}
local n = tonumber(ARGV[1])
local cur, index, stats = KEYS[1], KEYS[n + 1], KEYS[n + 2]
local created = false
for i = 4, #ARGV, 4 do
  local txn, trace, at, spec = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local _, raw = find(n, txn)
  if not raw then
    created = true
    redis.call('HSET', cur, txn, trace .. '|' .. int(at) .. '|' .. spec)
    if spec ~= '' then
      for _, e in ipairs(split(spec, ',')) do
        local f = split(e, ':')
        if f[2] == '1' then
          redis.call('HINCRBY', cur, '#e:' .. f[1], 1)
        else
          redis.call('HINCRBY', cur, '#n:' .. f[1], 1)
          local last = tonumber(redis.call('HGET', stats, 'ln:' .. f[1]))
          if not last or last < at then redis.call('HSET', stats, 'ln:' .. f[1], int(at)) end
        end
      end
    end
  end
end
if created then
  redis.call('PEXPIRE', cur, ARGV[3])
  redis.call('ZADD', index, ARGV[2], ARGV[2])
end
return 0
`;

/**
 * Ingress completions for one gateway: only the transaction id is needed, since the record
 * remembers the upgrades it counted in. KEYS: n live ingress buckets (current first, see lookupBuckets).
 * ARGV: n, then txn per end. Returns how many were unknown (clamped).
 */
export const INGRESS_END_LUA = `${LUA_COMMON}
local n = tonumber(ARGV[1])
local clamped = 0
for i = 2, #ARGV do
  local txn = ARGV[i]
  local key, raw = find(n, txn)
  if raw then
    redis.call('HDEL', key, txn)
    local spec = split(raw, '|')[3]
    if spec ~= '' then
      for _, e in ipairs(split(spec, ',')) do
        local f = split(e, ':')
        redis.call('HINCRBY', key, (f[2] == '1' and '#e:' or '#n:') .. f[1], -1)
      end
    end
  else
    clamped = clamped + 1
  end
end
return clamped
`;
