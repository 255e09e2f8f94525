--[[
  Transaction commands, per connection: MULTI EXEC DISCARD WATCH UNWATCH.
  A connection's commands after MULTI are checked (name, arity) and queued; EXEC runs them
  in one go unless a WATCHed key changed (or expired) since WATCH, which answers nil.
]]
local S = ...
local command, fail, pcall, pairs, ipairs = S.command, S.fail, pcall, pairs, ipairs
local OK = S.OK

command('WATCH', -2, 'noscript txn', function(a, n, id)
  local c = S.conn(id)
  for i = 2, n do
    local key = a[i]
    if c.watch[key] == nil then
      c.watch[key] = S.db[key] ~= nil and S.is_expired(key)
      c.nwatch = c.nwatch + 1
      local w = S.watched[key]
      if w == nil then
        w = {}
        S.watched[key] = w
      end
      w[c] = true
    end
  end
  return OK
end)

command('UNWATCH', 1, 'noscript txn', function(_, _, id)
  local c = S.conns[id]
  if c then
    S.unwatch(c)
    S.forget_if_idle(c)
  end
  return OK
end)

command('MULTI', 1, 'noscript txn', function(_, _, id)
  local c = S.conn(id)
  if c.multi ~= nil then fail('ERR MULTI calls can not be nested') end
  c.multi = {}
  c.multi_error = false
  return OK
end)

command('DISCARD', 1, 'noscript txn', function(_, _, id)
  local c = S.conns[id]
  if c == nil or c.multi == nil then fail('ERR DISCARD without MULTI') end
  c.multi = nil
  S.unwatch(c)
  S.forget_if_idle(c)
  return OK
end)

-- a watched key that was live at WATCH time and has expired since counts as changed
local function watched_key_expired(c)
  for key, expired_at_watch in pairs(c.watch) do
    if not expired_at_watch and S.db[key] ~= nil and S.is_expired(key) then return true end
  end
  return false
end

command('EXEC', 1, 'noscript txn', function(_, _, id)
  local c = S.conns[id]
  if c == nil or c.multi == nil then fail('ERR EXEC without MULTI') end
  local queue = c.multi
  c.multi = nil
  if c.multi_error then
    S.unwatch(c)
    S.forget_if_idle(c)
    fail('EXECABORT Transaction discarded because of previous errors.')
  end
  if c.dirty or watched_key_expired(c) then
    S.unwatch(c)
    S.forget_if_idle(c)
    return false
  end
  S.unwatch(c)
  S.forget_if_idle(c)
  local replies = {}
  for i, q in ipairs(queue) do
    local cmd, a, n = q[1], q[2], q[3]
    local ok, r = pcall(cmd.fn, a, n, id)
    if ok then replies[i] = r else replies[i] = {err = S.error_text(r)} end
  end
  return replies
end)

