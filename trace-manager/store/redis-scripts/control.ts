/**
 * Creates or updates an upgrade. Without an explicit version (ARGV[4] empty) weightVersion is
 * bumped only when the weight changes; with one, it is stored as given unless the stored
 * version is newer, in which case nothing changes.
 * Stored value: `<weightVersion>|<weight>|<JSON of the rest>`.
 * KEYS: the upgrades hash. ARGV: id, weight, JSON, explicit version or "".
 * Returns { weightVersion, weight, JSON } as stored.
 */
export const PUT_UPGRADE_LUA = `
local old = redis.call('HGET', KEYS[1], ARGV[1])
local wv = 1
local oldWv = nil
if old then
  local a = string.find(old, '|', 1, true)
  local b = string.find(old, '|', a + 1, true)
  oldWv = tonumber(string.sub(old, 1, a - 1))
  wv = oldWv
  if ARGV[4] == '' and tonumber(string.sub(old, a + 1, b - 1)) ~= tonumber(ARGV[2]) then wv = wv + 1 end
  if ARGV[4] ~= '' and oldWv > tonumber(ARGV[4]) then
    return { oldWv, string.sub(old, a + 1, b - 1), string.sub(old, b + 1) }
  end
end
if ARGV[4] ~= '' then wv = tonumber(ARGV[4]) end
redis.call('HSET', KEYS[1], ARGV[1], wv .. '|' .. ARGV[2] .. '|' .. ARGV[3])
return { wv, ARGV[2], ARGV[3] }
`;

/**
 * Drops pod reports whose heartbeat is older than ARGV[1], atomically with respect to new reports.
 * Stored value: `<heartbeatAt>|<JSON>`. KEYS: the pods hash. Returns how many were dropped.
 */
export const FORGET_PODS_LUA = `
local before = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local dropped = 0
for i = 1, #all, 2 do
  local v = all[i + 1]
  local hb = tonumber(string.sub(v, 1, string.find(v, '|', 1, true) - 1))
  if hb < before then
    redis.call('HDEL', KEYS[1], all[i])
    dropped = dropped + 1
  end
end
return dropped
`;
