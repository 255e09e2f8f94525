--[[
  List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LREM LTRIM LINSERT RPOPLPUSH LMOVE
  A list is {t='list', h = index of the head, e = index of the tail, v = {index -> element}}; n = e - h + 1.
]]
local S = ...
local command, fail, typed, touch, remove, db, parse_int = S.command, S.fail, S.typed, S.touch, S.remove, S.db,
  S.parse_int
local upper = string.upper
local OK = S.OK

local function get_list(key) return typed(key, 'list') end
local function len(l) return l.e - l.h + 1 end

local function new_list(key)
  local l = {t = 'list', h = 1, e = 0, v = {}}
  db[key] = l
  return l
end

local function push_left(l, x) local h = l.h - 1; l.h = h; l.v[h] = x end
local function push_right(l, x) local e = l.e + 1; l.e = e; l.v[e] = x end
local function pop_left(l) local h = l.h; local x = l.v[h]; l.v[h] = nil; l.h = h + 1; return x end
local function pop_right(l) local e = l.e; local x = l.v[e]; l.v[e] = nil; l.e = e - 1; return x end

local function after_pop(key, l)
  if l.e < l.h then remove(key) end
  touch(key)
end

local function push(a, n, left, only_existing)
  local key = a[2]
  local l = get_list(key)
  if l == nil then
    if only_existing then return 0 end
    l = new_list(key)
  end
  local put = left and push_left or push_right
  for i = 3, n do put(l, a[i]) end
  touch(key)
  return len(l)
end

command('LPUSH', -3, '', function(a, n) return push(a, n, true, false) end)
command('RPUSH', -3, '', function(a, n) return push(a, n, false, false) end)
command('LPUSHX', -3, '', function(a, n) return push(a, n, true, true) end)
command('RPUSHX', -3, '', function(a, n) return push(a, n, false, true) end)

local function pop(a, n, left, name)
  if n > 3 then S.wrong_args(name) end
  local key = a[2]
  local count
  if n == 3 then
    count = parse_int(a[3])
    if count == nil or count < 0 then fail('ERR value is out of range, must be positive') end
  end
  local l = get_list(key)
  if l == nil then return false end
  local take = left and pop_left or pop_right
  if count == nil then
    local x = take(l)
    after_pop(key, l)
    return x
  end
  local out = {}
  local size = len(l)
  if count > size then count = size end
  for i = 1, count do out[i] = take(l) end
  if count > 0 then after_pop(key, l) end
  return out
end

command('LPOP', -2, '', function(a, n) return pop(a, n, true, 'lpop') end)
command('RPOP', -2, '', function(a, n) return pop(a, n, false, 'rpop') end)

command('LLEN', 2, '', function(a)
  local l = get_list(a[2])
  return l and len(l) or 0
end)

local function int_or_fail(s)
  local v = parse_int(s)
  if v == nil then fail(S.E_INT) end
  return v
end

-- normalise start/stop (negative from the end) to 0-based offsets, or nil when empty
local function span(start, stop, size)
  if start < 0 then start = size + start end
  if stop < 0 then stop = size + stop end
  if start < 0 then start = 0 end
  if start > stop or start >= size then return nil end
  if stop >= size then stop = size - 1 end
  return start, stop
end
S.span = span

command('LRANGE', 4, '', function(a)
  local start, stop = int_or_fail(a[3]), int_or_fail(a[4])
  local l = get_list(a[2])
  local out = {}
  if l == nil then return out end
  start, stop = span(start, stop, len(l))
  if start == nil then return out end
  local v, base = l.v, l.h
  for i = start, stop do out[i - start + 1] = v[base + i] end
  return out
end)

command('LINDEX', 3, '', function(a)
  local index = int_or_fail(a[3])
  local l = get_list(a[2])
  if l == nil then return false end
  local size = len(l)
  if index < 0 then index = size + index end
  if index < 0 or index >= size then return false end
  return l.v[l.h + index]
end)

command('LSET', 4, '', function(a)
  local key = a[2]
  local index = int_or_fail(a[3])
  local l = get_list(key)
  if l == nil then fail('ERR no such key') end
  local size = len(l)
  if index < 0 then index = size + index end
  if index < 0 or index >= size then fail('ERR index out of range') end
  l.v[l.h + index] = a[4]
  touch(key)
  return OK
end)

-- rebuild a list from the elements kept by keep(x, position) (0-based)
local function rebuild(l, keep)
  local v, h, e = l.v, l.h, l.e
  local nv, k = {}, 0
  for i = h, e do
    local x = v[i]
    if keep(x, i - h) then k = k + 1; nv[k] = x end
  end
  l.v, l.h, l.e = nv, 1, k
end

command('LREM', 4, '', function(a)
  local key = a[2]
  local count = int_or_fail(a[3])
  local target = a[4]
  local l = get_list(key)
  if l == nil then return 0 end
  local size = len(l)
  local drop = {}
  local removed = 0
  local limit = count < 0 and -count or count
  if count >= 0 then
    for i = 0, size - 1 do
      if (limit == 0 or removed < limit) and l.v[l.h + i] == target then drop[i] = true; removed = removed + 1 end
    end
  else
    for i = size - 1, 0, -1 do
      if removed < limit and l.v[l.h + i] == target then drop[i] = true; removed = removed + 1 end
    end
  end
  if removed > 0 then
    rebuild(l, function(_, i) return not drop[i] end)
    if len(l) == 0 then remove(key) end
    touch(key)
  end
  return removed
end)

command('LTRIM', 4, '', function(a)
  local key = a[2]
  local start, stop = int_or_fail(a[3]), int_or_fail(a[4])
  local l = get_list(key)
  if l == nil then return OK end
  local size = len(l)
  start, stop = span(start, stop, size)
  if start == nil then
    remove(key)
  elseif start > 0 or stop < size - 1 then
    rebuild(l, function(_, i) return i >= start and i <= stop end)
  else
    return OK
  end
  touch(key)
  return OK
end)

command('LINSERT', 5, '', function(a)
  local key = a[2]
  local where = upper(a[3])
  if where ~= 'BEFORE' and where ~= 'AFTER' then fail(S.E_SYNTAX) end
  local l = get_list(key)
  if l == nil then return 0 end
  local pivot, value = a[4], a[5]
  local v, h = l.v, l.h
  local size = len(l)
  for i = 0, size - 1 do
    if v[h + i] == pivot then
      local at = where == 'BEFORE' and i or i + 1
      local nv, k = {}, 0
      for j = 0, size - 1 do
        if j == at then k = k + 1; nv[k] = value end
        k = k + 1; nv[k] = v[h + j]
      end
      if at == size then k = k + 1; nv[k] = value end
      l.v, l.h, l.e = nv, 1, k
      touch(key)
      return k
    end
  end
  return -1
end)

local function move(src, dst, from_left, to_left)
  local l = get_list(src)
  if l == nil then return false end
  get_list(dst)  -- WRONGTYPE before anything moves
  local x = from_left and pop_left(l) or pop_right(l)
  after_pop(src, l)
  local d = get_list(dst) or new_list(dst)
  if to_left then push_left(d, x) else push_right(d, x) end
  touch(dst)
  return x
end

command('RPOPLPUSH', 3, '', function(a) return move(a[2], a[3], false, true) end)

command('LMOVE', 5, '', function(a)
  local from, to = upper(a[4]), upper(a[5])
  if (from ~= 'LEFT' and from ~= 'RIGHT') or (to ~= 'LEFT' and to ~= 'RIGHT') then fail(S.E_SYNTAX) end
  return move(a[2], a[3], from == 'LEFT', to == 'LEFT')
end)
