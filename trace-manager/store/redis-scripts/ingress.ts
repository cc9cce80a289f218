import { EARLY_ENDS } from "../memory-table.js";
import { LUA_COMMON } from "./common.js";

/**
 * Ingress starts for one gateway; a start of an in-flight transaction is ignored. A start whose
 * completion came first (an early end `~<at>` at most the slack before it) cancels it instead,
 * so the transaction is never in flight; an older early end is stale and the start replaces it.
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
  local key, raw = find(n, txn)
  local early = raw and string.sub(raw, 1, 1) == '~'
  if not raw or early then
    local counts = true
    if early then
      redis.call('HDEL', key, txn)
      counts = tonumber(string.sub(raw, 2)) + ${EARLY_ENDS.slackMs} < at
    end
    if counts then
      created = true
      redis.call('HSET', cur, txn, trace .. '|' .. int(at) .. '|' .. spec)
    end
    if spec ~= '' then
      for _, e in ipairs(split(spec, ',')) do
        local f = split(e, ':')
        if f[2] == '1' then
          if counts then redis.call('HINCRBY', cur, '#e:' .. f[1], 1) end
        else
          if counts then redis.call('HINCRBY', cur, '#n:' .. f[1], 1) end
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
 * Ingress completions for one gateway: only the transaction id (and time) is needed, since the
 * record remembers the upgrades it counted in. A completion whose start is unknown is kept as an
 * early end `~<at>` in the bucket of its time (a repeated one is ignored), for the start to cancel.
 * KEYS: n live ingress buckets (current first, see lookupBuckets), the bucket index. ARGV: n,
 * current bucket id, bucket width (ms), now (ms), the ttl past a bucket's end (ms), then (txn, at)
 * per end. Returns how many were unknown (clamped, kept as early ends).
 */
export const INGRESS_END_LUA = `${LUA_COMMON}
local n = tonumber(ARGV[1])
local cur, width, now, extra = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local index = KEYS[n + 1]
local clamped = 0
for i = 6, #ARGV, 2 do
  local txn, at = ARGV[i], tonumber(ARGV[i + 1])
  local key, raw = find(n, txn)
  if raw and string.sub(raw, 1, 1) ~= '~' then
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
    if not raw then
      local bkey, b = earlyBucket(n, cur, width, at)
      redis.call('HSET', bkey, txn, '~' .. int(at))
      redis.call('PEXPIRE', bkey, math.max(1000, (b + 1) * width + extra - now))
      redis.call('ZADD', index, b, b)
    end
  end
end
return clamped
`;
