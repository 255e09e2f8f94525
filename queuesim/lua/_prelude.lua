--[[
  Shared helpers, prepended by queuesim.scripts to every queue script.
  Job records live in one hash per queue (KEYS "jobs", field = job id, value =
  a JSON object), so every script declares every key it touches. User data,
  results and progress data stay opaque JSON text inside the record: cjson
  would turn [] into {} if it decoded them.
]]
local PRIORITY_OFFSET = 1048576   -- priorities lie in [-1048576, 1048575]
local ID_SPAN = 4294967296        -- FIFO within one priority: ids modulo 2^32

local function inactive_score(priority, id)
  return (tonumber(priority) + PRIORITY_OFFSET) * ID_SPAN + (tonumber(id) % ID_SPAN)
end

local function load_job(jobs, id)
  local raw = redis.call('HGET', jobs, id)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function store_job(jobs, job)
  redis.call('HSET', jobs, job.id, cjson.encode(job))
end

-- args_json is a JSON array written by the caller or built from opaque JSON texts
local function emit(events, maxlen, job, event, args_json)
  if job.events == 0 then return nil end
  return redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'id', job.id, 'event', event, 'args', args_json)
end

local function wake(wake_key)
  if redis.call('LLEN', wake_key) == 0 then redis.call('LPUSH', wake_key, '1') end
end

local function make_inactive(jobs, inactive, job, now)
  job.state = 'inactive'
  job.updated_at = now
  redis.call('ZADD', inactive, inactive_score(job.priority, job.id), job.id)
end
