/**
 * Adds aggregated outbound counts to one service's stats buckets in one call (far cheaper for the
 * client than one HINCRBY per field). KEYS: stats bucket keys of one service.
 * ARGV: per key, its ttl (ms), the number m of fields, then m (field, increment) pairs.
 */
export const OUTBOUND_ADD_LUA = `
local a = 1
for i = 1, #KEYS do
  local ttl, m = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  for _ = 1, m do
    redis.call('HINCRBY', KEYS[i], ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 0
`;
