/**
 * Lua scripts that make the multi-key writes of the Redis store atomic. Redis runs a script
 * without interleaving other commands, and each script checks everything before it writes
 * anything, so a refusal leaves no partial write.
 */

/**
 * Stock change for several items, all or nothing.
 * KEYS[1] stock hash. ARGV[1] sign (+1/-1), then item id / quantity pairs.
 * Returns {"ok"} | {"unknown-item", id} | {"insufficient-stock", id, available}.
 */
export const STOCK_SCRIPT = `
local sign = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local have = redis.call('HGET', KEYS[1], ARGV[i])
  if not have then return {'unknown-item', ARGV[i]} end
  if sign < 0 and tonumber(have) < tonumber(ARGV[i + 1]) then
    return {'insufficient-stock', ARGV[i], have}
  end
end
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], sign * tonumber(ARGV[i + 1]))
end
return {'ok'}
`;

/**
 * Order creation with its stock reservation.
 * KEYS[1] stock hash, KEYS[2] order key, KEYS[3..] phone index lists.
 * ARGV[1] order JSON, ARGV[2] order id, then item id / quantity pairs.
 */
export const CREATE_ORDER_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return {'duplicate-order'} end
for i = 3, #ARGV, 2 do
  local have = redis.call('HGET', KEYS[1], ARGV[i])
  if not have then return {'unknown-item', ARGV[i]} end
  if tonumber(have) < tonumber(ARGV[i + 1]) then
    return {'insufficient-stock', ARGV[i], have}
  end
end
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1]))
end
redis.call('SET', KEYS[2], ARGV[1])
for k = 3, #KEYS do
  redis.call('LPUSH', KEYS[k], ARGV[2])
end
return {'ok'}
`;

/**
 * Compare-and-set of an order on its revision.
 * KEYS[1] order key. ARGV[1] expected revision, ARGV[2] next JSON.
 */
export const REPLACE_ORDER_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 'not-found' end
local rev = cjson.decode(cur)['revision']
if tonumber(rev) ~= tonumber(ARGV[1]) then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[2])
return 'ok'
`;
