-- Keyspace and server commands: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST
-- KEYS SCAN DBSIZE FLUSHDB FLUSHALL RENAME PING ECHO TIME CONFIG PUBLISH
local S = ...
local command, fail, lookup, touch, remove = S.command, S.fail, S.lookup, S.touch, S.remove
local db, expires, set_expire, parse_int = S.db, S.expires, S.set_expire, S.parse_int
local upper, lower, floor, type, pairs, next, sort = string.upper, string.lower, math.floor, type, pairs, next, table.sort
local OK = S.OK

local function del(a, n)
  local count = 0
  for i = 2, n do
    local key = a[i]
    if lookup(key) ~= nil then
      remove(key)
      touch(key)
      count = count + 1
    end
  end
  return count
end
command('DEL', -2, '', del)
command('UNLINK', -2, '', del)

command('EXISTS', -2, '', function(a, n)
  local count = 0
  for i = 2, n do
    if lookup(a[i]) ~= nil then count = count + 1 end
  end
  return count
end)

command('TYPE', 2, '', function(a)
  local v = lookup(a[2])
  if v == nil then return {ok = 'none'} end
  return {ok = S.type_of(v)}
end)

-- EXPIRE family: when = absolute deadline in seconds; options NX XX GT LT (Redis 7)
local function expire_at(a, n, when)
  local key = a[2]
  local nx, xx, gt, lt = false, false, false, false
  for i = 4, n do
    local opt = upper(a[i])
    if opt == 'NX' then nx = true
    elseif opt == 'XX' then xx = true
    elseif opt == 'GT' then gt = true
    elseif opt == 'LT' then lt = true
    else fail('ERR Unsupported option ' .. a[i]) end
  end
  if nx and (xx or gt or lt) then fail('ERR NX and XX, GT or LT options at the same time are not compatible') end
  if gt and lt then fail('ERR GT and LT options at the same time are not compatible') end
  if lookup(key) == nil then return 0 end
  local cur = expires[key]
  if (nx and cur ~= nil) or (xx and cur == nil) or (gt and (cur == nil or when <= cur))
      or (lt and cur ~= nil and when >= cur) then
    return 0
  end
  if when <= S.now then
    remove(key)
  else
    set_expire(key, when)
  end
  touch(key)
  return 1
end

local function int_or_fail(s)
  local v = parse_int(s)
  if v == nil then fail(S.E_INT) end
  return v
end

command('EXPIRE', -3, '', function(a, n) return expire_at(a, n, S.now + int_or_fail(a[3])) end)
command('PEXPIRE', -3, '', function(a, n) return expire_at(a, n, S.now + int_or_fail(a[3]) / 1000.0) end)
command('EXPIREAT', -3, '', function(a, n) return expire_at(a, n, int_or_fail(a[3]) + 0.0) end)
command('PEXPIREAT', -3, '', function(a, n) return expire_at(a, n, int_or_fail(a[3]) / 1000.0) end)

local function ttl(key, scale)
  if lookup(key) == nil then return -2 end
  local when = expires[key]
  if when == nil then return -1 end
  local left = (when - S.now) * scale
  if left < 0 then left = 0 end
  return floor(left + 0.5)
end
command('TTL', 2, '', function(a) return ttl(a[2], 1) end)
command('PTTL', 2, '', function(a) return ttl(a[2], 1000) end)

command('PERSIST', 2, '', function(a)
  local key = a[2]
  if lookup(key) == nil or expires[key] == nil then return 0 end
  set_expire(key, nil)
  touch(key)
  return 1
end)

-- live keys (expired ones are dropped on the way) matching a pattern, sorted for a stable order
local function live_keys(pattern, tname)
  local match = S.matcher(pattern)
  local out = {}
  local dead = {}
  for key, v in pairs(db) do
    if S.is_expired(key) then
      dead[#dead + 1] = key
    elseif match(key) and (tname == nil or S.type_of(v) == tname) then
      out[#out + 1] = key
    end
  end
  for _, key in ipairs(dead) do lookup(key) end
  sort(out)
  return out
end

command('KEYS', 2, '', function(a) return live_keys(a[2]) end)

-- SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]: everything in one call (cursor 0 back)
command('SCAN', -2, '', function(a, n)
  local cursor = parse_int(a[2])
  if cursor == nil or cursor < 0 then fail('ERR invalid cursor') end
  local pattern, tname = nil, nil
  local i = 3
  while i <= n do
    local opt = upper(a[i])
    if opt == 'MATCH' and i < n then pattern = a[i + 1]
    elseif opt == 'COUNT' and i < n then
      local c = parse_int(a[i + 1])
      if c == nil then fail(S.E_INT) end
      if c < 1 then fail(S.E_SYNTAX) end
    elseif opt == 'TYPE' and i < n then tname = lower(a[i + 1])
    else fail(S.E_SYNTAX) end
    i = i + 2
  end
  if cursor ~= 0 then return {'0', {}} end
  return {'0', live_keys(pattern, tname)}
end)

command('DBSIZE', 1, '', function()
  local count = 0
  for key in pairs(db) do
    if not S.is_expired(key) then count = count + 1 end
  end
  return count
end)

local function flush(a, n)
  if n > 2 or (n == 2 and upper(a[2]) ~= 'SYNC' and upper(a[2]) ~= 'ASYNC') then fail(S.E_SYNTAX) end
  local keys = {}
  for key in pairs(db) do keys[#keys + 1] = key end
  for _, key in ipairs(keys) do remove(key) end
  for key in pairs(S.watched) do touch(key) end
  return OK
end
command('FLUSHDB', -1, '', flush)
command('FLUSHALL', -1, '', flush)

command('RENAME', 3, '', function(a)
  local src, dst = a[2], a[3]
  local v = lookup(src)
  if v == nil then fail('ERR no such key') end
  if src == dst then return OK end
  local when = expires[src]
  lookup(dst)
  remove(src)
  remove(dst)
  db[dst] = v
  set_expire(dst, when)
  touch(src)
  touch(dst)
  return OK
end)

command('PING', -1, '', function(a, n)
  if n > 2 then S.wrong_args('ping') end
  if n == 2 then return a[2] end
  return {ok = 'PONG'}
end)

command('ECHO', 2, '', function(a) return a[2] end)

command('TIME', 1, '', function()
  local now = S.now
  local secs = floor(now)
  return {S.fmt_int(secs), S.fmt_int(floor((now - secs) * 1e6))}
end)

-- the settings a client may ask about; everything else reads as absent
local CONFIG = {
  ['maxmemory-policy'] = 'noeviction',
  ['stream-node-max-entries'] = '100',
  ['stream-node-max-bytes'] = '4096',
}

command('CONFIG', -2, '', function(a, n, id)
  local sub = upper(a[2])
  if sub ~= 'GET' then fail("ERR unknown subcommand '" .. a[2] .. "'. Try CONFIG HELP.") end
  if n < 3 then S.wrong_args('config|get') end
  local out = {}
  local names = {}
  for name in pairs(CONFIG) do names[#names + 1] = name end
  sort(names)
  local seen = {}
  for i = 3, n do
    local match = S.matcher(lower(a[i]))
    for _, name in ipairs(names) do
      if not seen[name] and match(name) then
        seen[name] = true
        out[#out + 1] = name
        out[#out + 1] = CONFIG[name]
      end
    end
  end
  if id ~= 0 then return S.map(out) end
  return out
end)

-- nobody subscribes to a FastStore: a message reaches no one
command('PUBLISH', 3, '', function() return 0 end)

S.del = del
