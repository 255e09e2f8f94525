--[[
  Scripting: EVAL EVALSHA SCRIPT LOAD|EXISTS|FLUSH, and the environment scripts run in.

  A script is compiled once per SHA1 into a function whose globals are a read-only sandbox:
  redis (call, pcall, error_reply, status_reply, sha1hex, log, set_repl, replicate_commands,
  setresp-less RESP2 only), cjson, bit (LuaJIT's, the same Lua BitOp Redis bundles), string,
  table, math, KEYS, ARGV and Lua's base functions. Reading an unknown global or writing any
  global is an error, as in Redis 7.
]]
local S = ...
local type, pcall, xpcall, setfenv, loadstring, tostring, rawset, error = type, pcall, xpcall, setfenv,
  loadstring, tostring, rawset, error
local find, sub, lower, format, match = string.find, string.sub, string.lower, string.format, string.match
local command, fail, parse_int = S.command, S.fail, S.parse_int

local scripts = {}   -- sha -> compiled function
S.scripts = scripts

-- ------------------------------------------------------------------ the sandbox
local redis = {
  call = S.call,
  pcall = S.pcall,
  error_reply = function(msg)
    if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
    return {err = msg}
  end,
  status_reply = function(msg)
    if type(msg) ~= 'string' then error('wrong number or type of arguments', 2) end
    return {ok = msg}
  end,
  sha1hex = function(s)
    if type(s) ~= 'string' and type(s) ~= 'number' then error('wrong number of arguments', 2) end
    return S.host.sha1(tostring(s))
  end,
  log = function() end,
  set_repl = function() end,
  replicate_commands = function() return true end,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
}

local G = {
  redis = redis, cjson = S.cjson, bit = bit, string = string, table = table, math = math,
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
  rawequal = rawequal, rawget = rawget, rawset = rawset, select = select, setmetatable = setmetatable,
  getmetatable = getmetatable, tonumber = tonumber, tostring = tostring, type = type, unpack = unpack,
  xpcall = xpcall, loadstring = nil, _VERSION = _VERSION,
  KEYS = {}, ARGV = {},
}
G._G = G
setmetatable(G, {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
})
-- scripts see an empty table that reads through to G and refuses writes
local env = setmetatable({}, {
  __index = G,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})

-- ------------------------------------------------------------------ running
local function compile(source, sha)
  local fn, err = loadstring(source, '@user_script')
  if fn == nil then
    fail('ERR Error compiling script (new function): ' .. tostring(err))
  end
  setfenv(fn, env)
  scripts[sha] = fn
  return fn
end

local function where(err)
  local line = match(err, '^user_script:(%d+):')
  return line
end

-- the error reply of a failed script: "<message> script: <sha>, on @user_script:<line>."
local function script_error(e, sha, line)
  local msg
  if type(e) == 'table' and type(e.err) == 'string' then
    msg = e.err
  elseif type(e) == 'string' then
    if find(e, '^user_script:%d+:') then
      msg = 'ERR ' .. e
    elseif find(e, '^[A-Z][A-Z0-9_]* ') then
      msg = e          -- a coded error from redis.call ("ERR ...", "WRONGTYPE ...")
    else
      msg = 'ERR ' .. e
    end
  else
    msg = 'ERR ' .. tostring(e)
  end
  return msg .. ' script: ' .. sha .. ', on @user_script:' .. (line or '?') .. '.'
end

-- the line of user_script running when an error was raised (as Redis's error handler reports it)
local current_line
local function handler(e)
  current_line = nil
  for level = 2, 40 do
    local info = debug.getinfo(level, 'Sl')
    if info == nil then break end
    if info.source == '@user_script' then current_line = info.currentline; break end
  end
  return e
end

local function run(fn, sha, a, n, first)
  local nk, big = parse_int(a[first])
  if nk == nil or big then fail(S.E_INT) end
  if nk > n - first then fail("ERR Number of keys can't be greater than number of args") end
  if nk < 0 then fail("ERR Number of keys can't be negative") end
  local keys, argv = {}, {}
  for i = 1, nk do keys[i] = a[first + i] end
  for i = first + nk + 1, n do argv[i - first - nk] = a[i] end
  rawset(G, 'KEYS', keys)
  rawset(G, 'ARGV', argv)
  local ok, r = xpcall(fn, handler)
  if not ok then fail(script_error(r, sha, current_line or where(tostring(r)))) end
  if r == nil then return false end
  return r
end

command('EVAL', -3, 'noscript', function(a, n)
  local source = a[2]
  local sha = S.host.sha1(source)
  local fn = scripts[sha] or compile(source, sha)
  return run(fn, sha, a, n, 3)
end)

command('EVALSHA', -3, 'noscript', function(a, n)
  local sha = a[2]
  local fn = scripts[sha]
  if fn == nil then
    fn = scripts[lower(sha)]
    if fn == nil then fail('NOSCRIPT No matching script. Please use EVAL.') end
    sha = lower(sha)
  end
  return run(fn, sha, a, n, 3)
end)

command('SCRIPT', -2, 'noscript', function(a, n)
  local sub_ = lower(a[2])
  if sub_ == 'load' then
    if n ~= 3 then S.wrong_args('script|load') end
    local sha = S.host.sha1(a[3])
    if scripts[sha] == nil then compile(a[3], sha) end
    return sha
  elseif sub_ == 'exists' then
    if n < 3 then S.wrong_args('script|exists') end
    local out = {}
    for i = 3, n do out[i - 2] = scripts[lower(a[i])] and 1 or 0 end
    return out
  elseif sub_ == 'flush' then
    if n > 3 then S.wrong_args('script|flush') end
    for sha in pairs(scripts) do scripts[sha] = nil end
    return S.OK
  end
  fail("ERR unknown subcommand '" .. a[2] .. "'. Try SCRIPT HELP.")
end)
