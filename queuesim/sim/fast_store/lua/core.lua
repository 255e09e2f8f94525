--[[
  FastStore core: the keyspace, expiry, WATCH bookkeeping, argument parsing, the
  command table and the two entry points (a Python client's command, a script's
  redis.call). Every other file receives the table S built here and registers
  its commands with S.command.

  Values: a string key holds a Lua string; every other type is a table whose
  field t names the type ('hash', 'list', 'set', 'zset', 'stream').

  Replies inside the store have the form Redis gives a script: integer = Lua
  number, bulk = string, nil = false, array = table, status = {ok = ...};
  errors are raised as strings ("ERR ...", "WRONGTYPE ..."), as redis.call does.
]]
local host = ...
local S = {host = host}

local type, tostring, tonumber, error, pcall, select, pairs, next = type, tostring, tonumber, error, pcall, select, pairs, next
local rawget, setmetatable, unpack = rawget, setmetatable, unpack
local floor, ceil, huge = math.floor, math.ceil, math.huge
local byte, sub, find, format, upper, lower, gsub = string.byte, string.sub, string.find, string.format, string.upper,
  string.lower, string.gsub

-- ------------------------------------------------------------------ keyspace and clock
local db = {}          -- key -> value
local expires = {}     -- key -> deadline (seconds, the injected clock's unit)
S.db, S.expires = db, expires
S.nexp = 0             -- how many keys have a deadline (lookups skip the check while 0)
S.now = 0.0            -- the time of the command being run (frozen during a script, as in Redis)

S.WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
S.E_INT = 'ERR value is not an integer or out of range'
S.E_FLOAT = 'ERR value is not a valid float'
S.E_SYNTAX = 'ERR syntax error'
S.OK = {ok = 'OK'}
local WRONGTYPE = S.WRONGTYPE

local function fail(msg) error(msg, 0) end
S.fail = fail

-- ------------------------------------------------------------------ WATCH bookkeeping
-- watched[key] = {conn = true}; conn.watch[key] = whether the key was already expired at WATCH time
local watched = {}
S.watched = watched

local function touch(key)
  local w = watched[key]
  if w then
    for conn in pairs(w) do
      if conn.watch[key] and db[key] == nil then
        conn.watch[key] = false   -- expired at WATCH time and now deleted: logically unchanged
      else
        conn.dirty = true
      end
    end
  end
end
S.touch = touch

local function set_expire(key, when)
  if when == nil then
    if expires[key] ~= nil then expires[key] = nil; S.nexp = S.nexp - 1 end
  else
    if expires[key] == nil then S.nexp = S.nexp + 1 end
    expires[key] = when
  end
end
S.set_expire = set_expire

-- removes a key and its deadline; the caller touches it
local function remove(key)
  db[key] = nil
  if expires[key] ~= nil then expires[key] = nil; S.nexp = S.nexp - 1 end
end
S.remove = remove

local function is_expired(key)
  local when = expires[key]
  return when ~= nil and when < S.now
end
S.is_expired = is_expired

-- the value at key, deleting it first if its deadline has passed
local function lookup(key)
  local v = db[key]
  if v ~= nil and S.nexp > 0 then
    local when = expires[key]
    if when ~= nil and when < S.now then
      remove(key)
      touch(key)
      return nil
    end
  end
  return v
end
S.lookup = lookup

local function type_of(v)
  if type(v) == 'string' then return 'string' end
  return v.t
end
S.type_of = type_of

-- the value at key if it has type tname, nil if missing; WRONGTYPE otherwise
function S.typed(key, tname)
  local v = lookup(key)
  if v == nil then return nil end
  if type(v) == 'string' then
    if tname ~= 'string' then fail(WRONGTYPE) end
  elseif v.t ~= tname then
    fail(WRONGTYPE)
  end
  return v
end

-- store a new container (or string) at key
function S.store(key, v)
  db[key] = v
  touch(key)
end

-- delete key if the container is empty (n == 0)
function S.drop_if_empty(key, v)
  if v.n == 0 then remove(key) end
end

-- ------------------------------------------------------------------ numbers
local LLMIN = -9223372036854775808
local TWO53 = 9007199254740992

-- strict integer parsing, as Redis's string2ll: optional '-', no leading zeros, no spaces.
-- Returns the number (exact up to 2^53) and whether it is beyond 2^53 (then use the exact text).
local function parse_int(s)
  local len = #s
  if len == 0 or len > 20 then return nil end
  if len <= 15 then
    if find(s, '^%-?[1-9]%d*$') or s == '0' then return tonumber(s), false end
    return nil
  end
  if not find(s, '^%-?[1-9]%d*$') then return nil end
  if not host.int64_ok(s) then return nil end
  local v = tonumber(s)
  return v, (v >= TWO53 or v <= -TWO53)
end
S.parse_int = parse_int

function S.int_arg(s)
  local v = parse_int(s)
  if v == nil then fail(S.E_INT) end
  return v
end

-- a double as Redis's getDoubleFromObject reads it (strtod, no surrounding spaces, no NaN)
local function parse_float(s)
  local len = #s
  if len == 0 then return nil end
  local b = byte(s, 1)
  if b == 32 or (b >= 9 and b <= 13) then return nil end
  local e = byte(s, len)
  if e == 32 or (e >= 9 and e <= 13) then return nil end
  local v = tonumber(s)
  if v == nil or v == huge or v == -huge then
    local l = lower(s)
    if l == 'inf' or l == '+inf' or l == 'infinity' or l == '+infinity' then return huge end
    if l == '-inf' or l == '-infinity' then return -huge end
    return nil   -- not a number, or an overflow (strtod's ERANGE)
  end
  if v ~= v then return nil end
  if v == 0 and find(sub(s, 1, (find(s, '[eE]') or len + 1) - 1), '[1-9]') then return nil end  -- underflow
  return v
end
S.parse_float = parse_float

function S.float_arg(s)
  local v = parse_float(s)
  if v == nil then fail(S.E_FLOAT) end
  return v
end

-- a double as a reply string (Redis 7.0: "%.17g", "inf", "-inf")
local function fmt_double(v)
  if v == floor(v) and v > -1e17 and v < 1e17 then   -- where "%d" and "%.17g" print the same digits
    if v == 0 and 1 / v < 0 then return '-0' end
    return format('%d', v)
  end
  if v == huge then return 'inf' end
  if v == -huge then return '-inf' end
  return format('%.17g', v)
end
S.fmt_double = fmt_double

-- an integer (a Lua number known to be integral) as text
function S.fmt_int(v)
  if v > -1e17 and v < 1e17 then return format('%d', v) end
  return format('%.0f', v)
end

-- ------------------------------------------------------------------ glob patterns (KEYS, SCAN MATCH)
local function glob_to_lua(pattern)
  local out, i, n = {}, 1, #pattern
  while i <= n do
    local c = sub(pattern, i, i)
    if c == '*' then out[#out + 1] = '.-'
    elseif c == '?' then out[#out + 1] = '.'
    elseif c == '\\' and i < n then
      i = i + 1
      out[#out + 1] = '%' .. sub(pattern, i, i)
    elseif c == '[' then
      local j = i + 1
      local negate = sub(pattern, j, j) == '^'
      if negate then j = j + 1 end
      local set = {}
      while j <= n and sub(pattern, j, j) ~= ']' do
        local d = sub(pattern, j, j)
        if d == '\\' and j < n then
          j = j + 1
          set[#set + 1] = '%' .. sub(pattern, j, j)
        elseif sub(pattern, j + 1, j + 1) == '-' and j + 2 <= n and sub(pattern, j + 2, j + 2) ~= ']' then
          set[#set + 1] = gsub(d, '%p', '%%%0') .. '-' .. gsub(sub(pattern, j + 2, j + 2), '%p', '%%%0')
          j = j + 2
        else
          set[#set + 1] = gsub(d, '%p', '%%%0')
        end
        j = j + 1
      end
      out[#out + 1] = '[' .. (negate and '^' or '') .. table.concat(set) .. ']'
      i = j
    else
      out[#out + 1] = gsub(c, '%p', '%%%0')
    end
    i = i + 1
  end
  return '^' .. table.concat(out) .. '$'
end

function S.matcher(pattern)
  if pattern == nil or pattern == '*' then return function() return true end end
  local lp = glob_to_lua(pattern)
  return function(s) return find(s, lp) ~= nil end
end

-- ------------------------------------------------------------------ the command table
local commands = {}
S.commands = commands

-- name: upper case; arity as in Redis (>0 exact argc, <0 at least -arity; argc counts the name);
-- flags: a string with 'noscript' (not callable from a script), 'txn' (transaction control)
function S.command(name, arity, flags, fn)
  local c = {fn = fn, arity = arity, name = lower(name),
             noscript = find(flags, 'noscript', 1, true) ~= nil, txn = find(flags, 'txn', 1, true) ~= nil}
  commands[name] = c
  commands[lower(name)] = c
end

local function find_command(name)
  return commands[name] or commands[upper(name)]
end
S.find_command = find_command

-- an argument as an option word to compare with upper-case option names: upper(s), remembered for
-- short words; a word that does not start with a letter (a number, '*', '~', a bound) matches no
-- option name either way and is returned as it is, without making a new string
local options_seen, noptions = {}, 0
function S.opt(s)
  local u = options_seen[s]
  if u ~= nil then return u end
  local b = byte(s, 1)
  if b == nil or b < 65 or b > 122 or (b > 90 and b < 97) then return s end
  u = upper(s)
  if #s <= 16 then
    if noptions >= 1024 then options_seen, noptions = {}, 0 end
    options_seen[s] = u
    noptions = noptions + 1
  end
  return u
end

local function arity_ok(c, n)
  local a = c.arity
  if a > 0 then return n == a end
  return n >= -a
end
S.arity_ok = arity_ok

function S.wrong_args(name)
  fail("ERR wrong number of arguments for '" .. lower(name) .. "' command")
end

-- "unknown command 'X', with args beginning with: 'a' 'b' " (Redis 7.0's text)
local function unknown_command(a, n)
  local parts = {}
  for i = 2, n do
    local s = a[i]
    if #s > 128 then s = sub(s, 1, 128) end
    parts[#parts + 1] = "'" .. s .. "' "
  end
  local name = a[1]
  if #name > 128 then name = sub(name, 1, 128) end
  return "ERR unknown command '" .. name .. "', with args beginning with: " .. table.concat(parts)
end
S.unknown_command = unknown_command

-- ------------------------------------------------------------------ connections (WATCH, MULTI)
local conns = {}   -- id -> {watch = {key -> expired flag}, dirty = bool, multi = queue or nil, multi_error = bool}
S.conns = conns

function S.conn(id)
  local c = conns[id]
  if c == nil then
    c = {id = id, watch = {}, nwatch = 0, dirty = false, multi = nil, multi_error = false}
    conns[id] = c
  end
  return c
end

function S.unwatch(c)
  for key in pairs(c.watch) do
    local w = watched[key]
    if w then
      w[c] = nil
      if next(w) == nil then watched[key] = nil end
    end
  end
  c.watch = {}
  c.nwatch = 0
  c.dirty = false
end

function S.forget_if_idle(c)
  if c.nwatch == 0 and c.multi == nil then conns[c.id] = nil end
end

-- ------------------------------------------------------------------ replies to Python
--[[
  A reply leaves the store as one value (string, number, false = nil) or, for
  arrays, statuses and errors, as a token stream whose first value is nil:
    nil, n, <n items>    an array
    nil, -1, text        a status
    nil, -2, text        an error
  Script replies are converted on the way with Redis's rules (numbers truncated
  to integers, true -> 1, an array ends at its first nil, {err=}, {ok=}, {double=}).
]]
local function to_int(v)
  if v == floor(v) then
    if v >= 9.2233720368547758e18 or v < -9.2233720368547758e18 then return LLMIN end
    return v
  end
  if v ~= v then return LLMIN end
  if v > 0 then return floor(v) end
  return ceil(v)
end
S.to_int = to_int

local function oneline(s) return (gsub(s, '[\r\n]', ' ')) end

--[[
  A Python client speaks RESP3 (redis-py 8's default), so some replies have RESP3 types for it:
  maps, sets and doubles. Commands build them (only when called by a client, conn id ~= 0) as
  tables marked with the private key RESP3, which no script can produce:
    {[RESP3] = 'map', k1, v1, k2, v2, ...}   {[RESP3] = 'set', x1, x2, ...}   {[RESP3] = 'double', d}
  Scripts may return Redis's own forms {map = {k = v}}, {set = {x = true}}, {double = d}.
]]
local RESP3 = {}
S.RESP3 = RESP3
function S.map(flat) flat[RESP3] = 'map'; return flat end
function S.set(items) items[RESP3] = 'set'; return items end
function S.double(v) return {[RESP3] = 'double', v} end
-- an integer reply beyond 2^53, exact, for a client (scripts get the Lua number, as in Redis)
function S.bigint(text) return {[RESP3] = 'int', text} end

local flatten
flatten = function(r, out, k)
  local tr = type(r)
  if tr == 'string' then
    k = k + 1; out[k] = r
  elseif tr == 'number' then
    k = k + 1; out[k] = to_int(r)
  elseif tr == 'table' then
    local kind = rawget(r, RESP3)
    if kind ~= nil then
      if kind == 'double' then
        out[k + 2] = -6; out[k + 3] = fmt_double(r[1]); return k + 3
      end
      if kind == 'int' then
        out[k + 2] = -7; out[k + 3] = r[1]; return k + 3
      end
      local head = k + 3
      out[k + 2] = kind == 'map' and -4 or -5
      k = head
      local i = 1
      local v = rawget(r, 1)
      while v ~= nil do
        k = flatten(v, out, k)
        i = i + 1
        v = rawget(r, i)
      end
      out[head] = kind == 'map' and (i - 1) / 2 or i - 1
      return k
    end
    local e = rawget(r, 'err')
    if type(e) == 'string' then
      out[k + 2] = -2; out[k + 3] = oneline(e); return k + 3
    end
    local ok = rawget(r, 'ok')
    if type(ok) == 'string' then
      out[k + 2] = -1; out[k + 3] = oneline(ok); return k + 3
    end
    local d = rawget(r, 'double')
    if type(d) == 'number' then
      out[k + 2] = -6; out[k + 3] = fmt_double(d); return k + 3
    end
    local m = rawget(r, 'map')
    if type(m) == 'table' then
      local flat = {[RESP3] = 'map'}
      for key, v in pairs(m) do flat[#flat + 1] = key; flat[#flat + 1] = v end
      return flatten(flat, out, k)
    end
    local set = rawget(r, 'set')
    if type(set) == 'table' then
      local items = {[RESP3] = 'set'}
      for x in pairs(set) do items[#items + 1] = x end
      return flatten(items, out, k)
    end
    local head = k + 2
    k = head
    local i = 1
    local v = rawget(r, 1)
    while v ~= nil do
      k = flatten(v, out, k)
      i = i + 1
      v = rawget(r, i)
    end
    out[head] = i - 1
  elseif r == true then
    k = k + 1; out[k] = 1
  else
    k = k + 1; out[k] = false
  end
  return k
end
S.flatten = flatten

local MAX_UNPACK = 7000

local function export(r)
  local tr = type(r)
  if tr == 'string' then return r end
  if tr == 'number' then return to_int(r) end
  if tr == 'table' then
    local out = {}
    local k = flatten(r, out, 0)
    if k > MAX_UNPACK then return nil, -3, out, k end
    return unpack(out, 1, k)
  end
  if r == true then return 1 end
  return false
end
S.export = export

-- ------------------------------------------------------------------ running commands
-- run one client command (a[1] = name) on connection id; MULTI queues it
local function run_command(id, a, n)
  local name = a[1]
  local c = find_command(name)
  local conn = conns[id]
  if conn ~= nil and conn.multi ~= nil and c ~= nil and c.name == 'watch' then
    conn.multi_error = true
    fail('ERR Command not allowed inside a transaction')
  end
  if conn ~= nil and conn.multi ~= nil and not (c and c.txn) then
    if c == nil then conn.multi_error = true; fail(unknown_command(a, n)) end
    if not arity_ok(c, n) then conn.multi_error = true; S.wrong_args(c.name) end
    local q = conn.multi
    q[#q + 1] = {c, a, n}
    return {ok = 'QUEUED'}
  end
  if c == nil then fail(unknown_command(a, n)) end
  if not arity_ok(c, n) then S.wrong_args(c.name) end
  return c.fn(a, n, id)
end
S.run_command = run_command

local function error_text(e)
  if type(e) == 'string' then return e end
  if type(e) == 'table' and type(e.err) == 'string' then return e.err end
  return 'ERR ' .. tostring(e)
end
S.error_text = error_text

-- Python entry point: one command. serve(conn id, now, name, args...)
function S.serve(id, now, ...)
  S.now = now
  local n = select('#', ...)
  local a = {...}
  local ok, r = pcall(run_command, id, a, n)
  if not ok then return nil, -2, oneline(error_text(r)) end
  return export(r)
end

-- Python entry point for argument lists too long for the C stack: the words come in a table
function S.serve_table(id, now, words, n)
  S.now = now
  local a = {}
  for i = 1, n do a[i] = words[i] end
  local ok, r = pcall(run_command, id, a, n)
  if not ok then return nil, -2, oneline(error_text(r)) end
  return export(r)
end

-- Python entry point: several commands in a row (a pipeline); replies as one array, errors in place.
-- serve_many(conn id, now, count, argc1, args1..., argc2, args2...)
function S.serve_many(id, now, count, ...)
  return S.serve_many_table(id, now, count, {...})
end

function S.serve_many_table(id, now, count, all)
  S.now = now
  local replies = {}
  local pos = 1
  for i = 1, count do
    local n = all[pos]
    local a = {unpack(all, pos + 1, pos + n)}
    pos = pos + n + 1
    local ok, r = pcall(run_command, id, a, n)
    if ok then replies[i] = r else replies[i] = {err = error_text(r)} end
  end
  local out = {}
  local k = 2
  for i = 1, count do k = flatten(replies[i], out, k) end
  out[2] = count
  if k > MAX_UNPACK then return nil, -3, out, k end
  return unpack(out, 1, k)
end

-- Python entry point: a connection goes away (its WATCHes and MULTI state with it)
function S.close(id)
  local c = conns[id]
  if c then S.unwatch(c); c.multi = nil; conns[id] = nil end
end

-- ------------------------------------------------------------------ redis.call from scripts
local numstr = function(v)
  if v == floor(v) and v > -1e17 and v < 1e17 then   -- "%d" prints what "%.17g" would
    if v == 0 and 1 / v < 0 then return '-0' end
    return format('%d', v)
  end
  return format('%.17g', v)
end

local E_ARGS = 'ERR Lua redis lib command arguments must be strings or integers'

-- errors propagate as the command raised them (a coded string, e.g. "ERR ..." or "WRONGTYPE ...")
local function call(...)
  local n = select('#', ...)
  if n == 0 then fail('ERR Please specify at least one argument for this redis lib call') end
  local a = {...}
  for i = 1, n do
    local v = a[i]
    if type(v) ~= 'string' then
      if type(v) == 'number' then a[i] = numstr(v) else fail(E_ARGS) end
    end
  end
  local name = a[1]
  local c = commands[name] or commands[upper(name)]   -- find_command, inline
  if c == nil then fail('ERR Unknown Redis command called from script') end
  if c.noscript then fail('ERR This Redis command is not allowed from script') end
  local arity = c.arity
  if (arity > 0 and n ~= arity) or n < -arity then
    fail('ERR Wrong number of args calling Redis command from script')
  end
  return c.fn(a, n, 0)
end
S.call = call

function S.pcall(...)
  local ok, r = pcall(call, ...)
  if ok then return r end
  return {err = error_text(r)}
end

return S
