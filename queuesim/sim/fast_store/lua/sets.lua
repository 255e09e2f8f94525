--[[
  Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD
  A set is {t='set', n = members, m = {member -> true}}. SMEMBERS lists members sorted
  (Redis's order is unspecified; redis-py turns the reply into a Python set).
]]
local S = ...
local command, typed, touch, remove, db = S.command, S.typed, S.touch, S.remove, S.db
local pairs, sort = pairs, table.sort

local function get_set(key) return typed(key, 'set') end

command('SADD', -3, '', function(a, n)
  local key = a[2]
  local s = get_set(key)
  if s == nil then
    s = {t = 'set', n = 0, m = {}}
    db[key] = s
  end
  local m = s.m
  local added = 0
  for i = 3, n do
    local x = a[i]
    if not m[x] then m[x] = true; added = added + 1 end
  end
  s.n = s.n + added
  if added > 0 then touch(key) end
  return added
end)

command('SREM', -3, '', function(a, n)
  local key = a[2]
  local s = get_set(key)
  if s == nil then return 0 end
  local m = s.m
  local removed = 0
  for i = 3, n do
    local x = a[i]
    if m[x] then m[x] = nil; removed = removed + 1 end
  end
  if removed > 0 then
    s.n = s.n - removed
    if s.n == 0 then remove(key) end
    touch(key)
  end
  return removed
end)

command('SMEMBERS', 2, '', function(a, _, id)
  local s = get_set(a[2])
  local out = {}
  if s ~= nil then
    for x in pairs(s.m) do out[#out + 1] = x end
    sort(out)
  end
  if id ~= 0 then return S.set(out) end
  return out
end)

command('SISMEMBER', 3, '', function(a)
  local s = get_set(a[2])
  return (s and s.m[a[3]]) and 1 or 0
end)

command('SMISMEMBER', -3, '', function(a, n)
  local s = get_set(a[2])
  local out = {}
  for i = 3, n do out[i - 2] = (s and s.m[a[i]]) and 1 or 0 end
  return out
end)

command('SCARD', 2, '', function(a)
  local s = get_set(a[2])
  return s and s.n or 0
end)
