/**
 * Sweeping happens in two short steps so that Redis is never busy reading a whole bucket:
 * claim (rename the expired bucket out of the way), read the claimed copy with HSCAN from the
 * client, then finish (count and list the expiries and delete the copy) atomically. Whoever
 * finishes a claim reports its expiries; a claim left by a crashed sweeper is finished by a
 * later sweep, and two sweepers finishing one claim report it once.
 */

/**
 * Claims one expired bucket. KEYS: the bucket, its claimed name, the bucket index, the claims
 * zset. ARGV: bucket id, claim member, now. Returns 1 when claimed, 0 when the bucket is gone
 * (claimed by another sweeper, or dropped by its TTL).
 */
export const SWEEP_CLAIM_LUA = `
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2])
return 1
`;

/**
 * Finishes a claim once its records were read. KEYS: the claimed bucket, the claims zset, the
 * tag's stats hash, its expiries list. ARGV: claim member, recent limit, number of expiries,
 * then the newest expiries (JSON, at most the limit). Returns 1 when this call finished it, 0
 * when another sweeper already had (its expiries must then not be reported again).
 */
export const SWEEP_FINISH_LUA = `
redis.call('ZREM', KEYS[2], ARGV[1])
-- UNLINK frees a large bucket in the background instead of blocking Redis.
if redis.call('UNLINK', KEYS[1]) == 0 then return 0 end
local total, limit = tonumber(ARGV[3]), tonumber(ARGV[2])
if total > 0 then
  redis.call('HINCRBY', KEYS[3], 'expiries', total)
  for i = 4, #ARGV do redis.call('LPUSH', KEYS[4], ARGV[i]) end
  redis.call('LTRIM', KEYS[4], 0, limit - 1)
end
return 1
`;
