/**
 * Active calls and transactions at one version of a service, summed from the bucket counters,
 * and which bucket is the oldest to hold an active transaction there (the caller scans it).
 * KEYS: live call buckets, oldest first. ARGV: version.
 * Returns {calls, transactions, 1-based index of the oldest busy bucket | 0}.
 */
export const ACTIVE_SUMMARY_LUA = `
local ver = ARGV[1]
local calls, txns, oldest = 0, 0, 0
for i = 1, #KEYS do
  local r = redis.call('HMGET', KEYS[i], '#c:' .. ver, '#t:' .. ver)
  local c, t = tonumber(r[1]) or 0, tonumber(r[2]) or 0
  calls, txns = calls + c, txns + t
  if oldest == 0 and t > 0 then oldest = i end
end
return { calls, txns, oldest }
`;

/**
 * The active-transaction count per bucket at one version (oldest first), so that the caller scans
 * only busy buckets. KEYS: live call buckets, oldest first. ARGV: version.
 */
export const BUSY_BUCKETS_LUA = `
local out = {}
for i = 1, #KEYS do
  out[i] = tonumber(redis.call('HGET', KEYS[i], '#t:' .. ARGV[1])) or 0
end
return out
`;

/**
 * One gateway's in-flight ingress for one upgrade, and its oldest busy bucket (the caller scans
 * it). KEYS: live ingress buckets oldest first, then the gateway's stats hash. ARGV: upgrade.
 * Returns {enrolled, nonEnrolled, lastNonEnrolled | -1, 1-based index of the oldest busy bucket | 0}.
 */
export const INGRESS_SUMMARY_LUA = `
local up = ARGV[1]
local n = #KEYS - 1
local enrolled, non, oldest = 0, 0, 0
for i = 1, n do
  local r = redis.call('HMGET', KEYS[i], '#e:' .. up, '#n:' .. up)
  local e, m = tonumber(r[1]) or 0, tonumber(r[2]) or 0
  enrolled, non = enrolled + e, non + m
  if oldest == 0 and e + m > 0 then oldest = i end
end
local last = tonumber(redis.call('HGET', KEYS[n + 1], 'ln:' .. up)) or -1
return { enrolled, non, last, oldest }
`;
