/**
 * Lua helpers prepended to every script that reads records.
 *
 * Call record (field = txn in a call bucket hash):
 *   `<traceId>|<flag>|<version>,<count>,<startedAt>,<lastSeenAt - startedAt>[;…]`
 *   flag is `x` once the (txn, service) violation has been reported, empty before.
 * Ingress record (field = txn in an ingress bucket hash):
 *   `<traceId>|<startedAt>|<upgrade>:<1|0>[,…]` (1 = enrolled)
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
    rec.segs[#rec.segs + 1] = { v = f[1], c = tonumber(f[2]), s = st, l = st + tonumber(f[4]) }
  end
  return rec
end

local function encodeCall(rec)
  local parts = {}
  for i, g in ipairs(rec.segs) do
    parts[i] = g.v .. ',' .. int(g.c) .. ',' .. int(g.s) .. ',' .. int(g.l - g.s)
  end
  return rec.trace .. '|' .. rec.flag .. '|' .. table.concat(parts, ';')
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
