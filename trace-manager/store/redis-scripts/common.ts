/**
 * Lua helpers prepended to every script that reads records.
 *
 * Call record (field = txn in a call bucket hash):
 *   `<traceId>|<flag>|<version>,<count>,<startedAt>,<lastSeenAt - startedAt>[,<early>][;…]`
 *   flag is `x` once the (txn, service) violation has been reported, empty before. `early`, when
 *   present, lists the times of ends that arrived before their start, `/`-separated, ascending
 *   (ADR 0086), led by `~` while no start has reached the version (the detector ignores it then).
 * Ingress record (field = txn in an ingress bucket hash):
 *   `<traceId>|<startedAt>|<upgrade>:<1|0>[,…]` (1 = enrolled), or `~<at>` for a completion
 *   whose start is not recorded yet (an early end).
 * Bucket counters live in the same hash under fields starting with `#`, which no transaction id
 * can start with: `#c:<version>` active calls, `#t:<version>` active transactions,
 * `#e:<upgrade>` / `#n:<upgrade>` enrolled / non-enrolled in flight.
 */
export const LUA_COMMON = `
local function split(s, sep)
  local out, from = {}, 1
  while true do
    local i = string.find(s, sep, from, true)
    if not i then
      out[#out + 1] = string.sub(s, from)
      return out
    end
    out[#out + 1] = string.sub(s, from, i - 1)
    from = i + 1
  end
end

local function int(x)
  return string.format('%d', x)
end

local function decodeCall(raw)
  local p = split(raw, '|')
  local rec = { trace = p[1], flag = p[2], segs = {} }
  for _, s in ipairs(split(p[3], ';')) do
    local f = split(s, ',')
    local st = tonumber(f[3])
    local g = { v = f[1], c = tonumber(f[2]), s = st, l = st + tonumber(f[4]), e = {}, u = false }
    local x = f[5]
    if x then
      if string.sub(x, 1, 1) == '~' then
        g.u = true
        x = string.sub(x, 2)
      end
      if x ~= '' then
        for _, t in ipairs(split(x, '/')) do g.e[#g.e + 1] = tonumber(t) end
      end
    end
    rec.segs[#rec.segs + 1] = g
  end
  return rec
end

local function encodeCall(rec)
  local parts = {}
  for i, g in ipairs(rec.segs) do
    local p = g.v .. ',' .. int(g.c) .. ',' .. int(g.s) .. ',' .. int(g.l - g.s)
    if g.u or #g.e > 0 then
      local ts = {}
      for j, t in ipairs(g.e) do ts[j] = int(t) end
      p = p .. ',' .. (g.u and '~' or '') .. table.concat(ts, '/')
    end
    parts[i] = p
  end
  return rec.trace .. '|' .. rec.flag .. '|' .. table.concat(parts, ';')
end

-- The live bucket (key, id) a record created by an early end goes in: the bucket of its time,
-- kept within the live ones (KEYS[1..n] in lookupBuckets order: current, next, then older).
local function earlyBucket(n, cur, width, at)
  local b = math.floor(at / width)
  if b > cur then b = cur end
  if b < cur - n + 2 then b = cur - n + 2 end
  if b == cur then return KEYS[1], b end
  return KEYS[cur - b + 2], b
end

-- Finds txn in KEYS[1..n] (the live buckets, current first).
local function find(n, txn)
  for i = 1, n do
    local raw = redis.call('HGET', KEYS[i], txn)
    if raw then return KEYS[i], raw end
  end
  return nil, nil
end
`;
