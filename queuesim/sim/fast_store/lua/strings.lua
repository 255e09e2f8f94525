-- String commands: GET SET SETNX SETEX PSETEX GETDEL MGET MSET INCR DECR INCRBY DECRBY APPEND STRLEN
local S = ...
local command, fail, typed, lookup, touch, remove = S.command, S.fail, S.typed, S.lookup, S.touch, S.remove
local db, set_expire, parse_int, fmt_int = S.db, S.set_expire, S.parse_int, S.fmt_int
local upper, type = string.upper, type
local OK = S.OK

local function get_string(key)
  return typed(key, 'string')
end

command('GET', 2, '', function(a)
  return get_string(a[2]) or false
end)

command('STRLEN', 2, '', function(a)
  local v = get_string(a[2])
  return v and #v or 0
end)

command('GETDEL', 2, '', function(a)
  local key = a[2]
  local v = get_string(key)
  if v == nil then return false end
  remove(key)
  touch(key)
  return v
end)

-- SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
command('SET', -3, '', function(a, n)
  local key, value = a[2], a[3]
  local nx, xx, get, keepttl, when = false, false, false, false, nil
  local unit = nil
  local i = 4
  while i <= n do
    local opt = upper(a[i])
    if opt == 'NX' and not xx then nx = true
    elseif opt == 'XX' and not nx then xx = true
    elseif opt == 'GET' then get = true
    elseif opt == 'KEEPTTL' and unit == nil then keepttl = true
    elseif (opt == 'EX' or opt == 'PX' or opt == 'EXAT' or opt == 'PXAT') and unit == nil and not keepttl and i < n then
      unit = opt
      i = i + 1
      local t = parse_int(a[i])
      if t == nil then fail(S.E_INT) end
      if t <= 0 then fail("ERR invalid expire time in 'set' command") end
      if opt == 'EX' then when = S.now + t
      elseif opt == 'PX' then when = S.now + t / 1000.0
      elseif opt == 'EXAT' then when = t
      else when = t / 1000.0 end
    else
      fail(S.E_SYNTAX)
    end
    i = i + 1
  end
  local old = lookup(key)
  if get and old ~= nil and type(old) ~= 'string' then fail(S.WRONGTYPE) end
  if (nx and old ~= nil) or (xx and old == nil) then
    if get then return old or false end
    return false
  end
  db[key] = value
  if not keepttl then set_expire(key, when) end
  touch(key)
  if get then return old or false end
  return OK
end)

command('SETNX', 3, '', function(a)
  local key = a[2]
  if lookup(key) ~= nil then return 0 end
  db[key] = a[3]
  touch(key)
  return 1
end)

local function setex(a, scale, name)
  local key = a[2]
  local t = parse_int(a[3])
  if t == nil then fail(S.E_INT) end
  if t <= 0 then fail("ERR invalid expire time in '" .. name .. "' command") end
  lookup(key)
  db[key] = a[4]
  set_expire(key, S.now + t / scale)
  touch(key)
  return OK
end

command('SETEX', 4, '', function(a) return setex(a, 1, 'setex') end)
command('PSETEX', 4, '', function(a) return setex(a, 1000.0, 'psetex') end)

command('MGET', -2, '', function(a, n)
  local out = {}
  for i = 2, n do
    local v = lookup(a[i])
    out[i - 1] = (type(v) == 'string') and v or false
  end
  return out
end)

command('MSET', -3, '', function(a, n)
  if n % 2 == 0 then S.wrong_args('mset') end
  for i = 2, n, 2 do
    local key = a[i]
    db[key] = a[i + 1]
    set_expire(key, nil)
    touch(key)
  end
  return OK
end)

-- INCRBY and friends; values beyond 2^53 go through the host's exact integers
local function incr(key, by_text, by, by_big, id)
  local v = get_string(key)
  local cur, cur_big = 0, false
  if v ~= nil then
    cur, cur_big = parse_int(v)
    if cur == nil then fail(S.E_INT) end
  end
  local text
  local r = cur + by
  if cur_big or by_big or r >= 9007199254740992 or r <= -9007199254740992 then
    text = S.host.add_int64(v or '0', by_text)
    if text == nil then fail('ERR increment or decrement would overflow') end
    r = tonumber(text)
  else
    text = fmt_int(r)
  end
  db[key] = text
  touch(key)
  if id ~= 0 and (r >= 9007199254740992 or r <= -9007199254740992) then return S.bigint(text) end
  return r
end

command('INCR', 2, '', function(a, _, id) return incr(a[2], '1', 1, false, id) end)
command('DECR', 2, '', function(a, _, id) return incr(a[2], '-1', -1, false, id) end)

command('INCRBY', 3, '', function(a, _, id)
  local by, big = parse_int(a[3])
  if by == nil then fail(S.E_INT) end
  return incr(a[2], a[3], by, big, id)
end)

command('DECRBY', 3, '', function(a, _, id)
  local by, big = parse_int(a[3])
  if by == nil then fail(S.E_INT) end
  local text = a[3]
  if string.sub(text, 1, 1) == '-' then text = string.sub(text, 2) else text = '-' .. text end
  if a[3] == '-9223372036854775808' then fail('ERR decrement would overflow') end
  return incr(a[2], text, -by, big, id)
end)

command('APPEND', 3, '', function(a)
  local key = a[2]
  local v = get_string(key)
  local r = (v or '') .. a[3]
  db[key] = r
  touch(key)
  return #r
end)
