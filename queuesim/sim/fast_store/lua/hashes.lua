--[[
  Hash commands: HSET HSETNX HMSET HGET HMGET HGETALL HKEYS HVALS HLEN HEXISTS HDEL HINCRBY HSTRLEN
  A hash is {t='hash', n = fields, v = {field -> value}, o = {field -> insertion number}, seq = last number};
  HGETALL, HKEYS and HVALS list fields in insertion order, as Redis does for small hashes.
]]
local S = ...
local command, fail, typed, touch, remove, db, parse_int, fmt_int = S.command, S.fail, S.typed, S.touch, S.remove,
  S.db, S.parse_int, S.fmt_int
local sort, pairs = table.sort, pairs
local OK = S.OK

local function get_hash(key) return typed(key, 'hash') end

local function new_hash(key)
  local h = {t = 'hash', n = 0, v = {}, o = {}, seq = 0}
  db[key] = h
  return h
end

-- set fields from a[first], a[first+1], ...; returns how many were new
local function hset(a, n, first, name)
  if (n - first + 1) % 2 ~= 0 or n < first + 1 then S.wrong_args(name) end
  local key = a[2]
  local h = get_hash(key) or new_hash(key)
  local v, o = h.v, h.o
  local added = 0
  for i = first, n, 2 do
    local f = a[i]
    if v[f] == nil then
      added = added + 1
      local seq = h.seq + 1
      h.seq = seq
      o[f] = seq
    end
    v[f] = a[i + 1]
  end
  h.n = h.n + added
  touch(key)
  return added
end

command('HSET', -4, '', function(a, n) return hset(a, n, 3, 'hset') end)
command('HMSET', -4, '', function(a, n) hset(a, n, 3, 'hmset'); return OK end)

command('HSETNX', 4, '', function(a)
  local key, f = a[2], a[3]
  local h = get_hash(key)
  if h ~= nil and h.v[f] ~= nil then return 0 end
  hset(a, 4, 3, 'hsetnx')
  return 1
end)

command('HGET', 3, '', function(a)
  local h = get_hash(a[2])
  if h == nil then return false end
  return h.v[a[3]] or false
end)

command('HMGET', -3, '', function(a, n)
  local h = get_hash(a[2])
  local out = {}
  local v = h and h.v or {}
  for i = 3, n do out[i - 2] = v[a[i]] or false end
  return out
end)

local function ordered_fields(h)
  local fields, k = {}, 0
  for f in pairs(h.v) do k = k + 1; fields[k] = f end
  local o = h.o
  sort(fields, function(x, y) return o[x] < o[y] end)
  return fields
end
S.hash_fields = ordered_fields

command('HGETALL', 2, '', function(a, _, id)
  local h = get_hash(a[2])
  local out = {}
  if h == nil then return id ~= 0 and S.map(out) or out end
  local v = h.v
  local k = 0
  for _, f in ipairs(ordered_fields(h)) do
    out[k + 1] = f
    out[k + 2] = v[f]
    k = k + 2
  end
  if id ~= 0 then return S.map(out) end
  return out
end)

command('HKEYS', 2, '', function(a)
  local h = get_hash(a[2])
  if h == nil then return {} end
  return ordered_fields(h)
end)

command('HVALS', 2, '', function(a)
  local h = get_hash(a[2])
  local out = {}
  if h == nil then return out end
  for i, f in ipairs(ordered_fields(h)) do out[i] = h.v[f] end
  return out
end)

command('HLEN', 2, '', function(a)
  local h = get_hash(a[2])
  return h and h.n or 0
end)

command('HSTRLEN', 3, '', function(a)
  local h = get_hash(a[2])
  local s = h and h.v[a[3]]
  return s and #s or 0
end)

command('HEXISTS', 3, '', function(a)
  local h = get_hash(a[2])
  return (h and h.v[a[3]] ~= nil) and 1 or 0
end)

command('HDEL', -3, '', function(a, n)
  local key = a[2]
  local h = get_hash(key)
  if h == nil then return 0 end
  local v, o = h.v, h.o
  local removed = 0
  for i = 3, n do
    local f = a[i]
    if v[f] ~= nil then
      v[f] = nil
      o[f] = nil
      removed = removed + 1
    end
  end
  if removed > 0 then
    h.n = h.n - removed
    if h.n == 0 then remove(key) end
    touch(key)
  end
  return removed
end)

command('HINCRBY', 4, '', function(a, _, id)
  local key, f = a[2], a[3]
  local by, by_big = parse_int(a[4])
  if by == nil then fail(S.E_INT) end
  local h = get_hash(key)
  local old = h and h.v[f]
  local cur, cur_big = 0, false
  if old ~= nil then
    cur, cur_big = parse_int(old)
    if cur == nil then fail('ERR hash value is not an integer') end
  end
  local r = cur + by
  local text
  if cur_big or by_big or r >= 9007199254740992 or r <= -9007199254740992 then
    text = S.host.add_int64(old or '0', a[4])
    if text == nil then fail('ERR increment or decrement would overflow') end
    r = tonumber(text)
  else
    text = fmt_int(r)
  end
  if h == nil then h = new_hash(key) end
  if h.v[f] == nil then
    h.n = h.n + 1
    h.seq = h.seq + 1
    h.o[f] = h.seq
  end
  h.v[f] = text
  touch(key)
  if id ~= 0 and (r >= 9007199254740992 or r <= -9007199254740992) then return S.bigint(text) end
  return r
end)
