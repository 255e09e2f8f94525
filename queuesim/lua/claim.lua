--[[
  A worker's fetch: promote due delayed jobs, recover stalled ones (when the
  shared stall timer is due), then claim up to N inactive jobs, highest
  priority first, FIFO within a priority. Each claimed job becomes active with
  a lease: its score in "active" is the lease deadline, and its record holds
  the lease token (finish and renew check it).
  Input:
    KEYS[1] jobs  KEYS[2] inactive  KEYS[3] active  KEYS[4] delayed  KEYS[5] failed
    KEYS[6] events  KEYS[7] wake  KEYS[8] meta (hash)
    ARGV[1] now (ms)  ARGV[2] events maxlen  ARGV[3] how many to claim
    ARGV[4] lease (ms)  ARGV[5] token prefix (worker id)
    ARGV[6] stall check interval (ms); negative = no stall recovery in this call
    ARGV[7] max stalls before failing  ARGV[8] promotion limit per call
  Output:
    { next_due_ms or -1, inactive left, delayed count, n, then per job 9 values:
      id, data, attempts, max_attempts, ttl, priority, token, backoff, created_at }
]]
local jobs, inactive, active, delayed, failed = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local events, wake_key, meta = KEYS[6], KEYS[7], KEYS[8]
local now = tonumber(ARGV[1])
local maxlen = ARGV[2]
local want = tonumber(ARGV[3])
local lease = tonumber(ARGV[4])
local prefix = ARGV[5]

local settings = redis.call('HMGET', meta, 'stall_check_at', 'paused')
local check_at = tonumber(settings[1])   -- nil until a worker first looks for stalled jobs

-- 1. promote delayed jobs that are due
local delayed_left = redis.call('ZCARD', delayed)
if delayed_left > 0 then
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, tonumber(ARGV[8]))
  for _, id in ipairs(due) do
    redis.call('ZREM', delayed, id)
    delayed_left = delayed_left - 1
    local job = load_job(jobs, id)
    if job then
      make_inactive(jobs, inactive, job, now)
      store_job(jobs, job)
      emit(events, maxlen, job, 'promotion', '[]')
    end
  end
end

-- 2. recover jobs whose lease expired (their worker died or lost its connection)
if tonumber(ARGV[6]) >= 0 and (check_at or 0) <= now then
  check_at = now + tonumber(ARGV[6])
  redis.call('HSET', meta, 'stall_check_at', check_at)
  local max_stalls = tonumber(ARGV[7])
  local expired = redis.call('ZRANGEBYSCORE', active, '-inf', '(' .. now, 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    redis.call('ZREM', active, id)
    local job = load_job(jobs, id)
    if job then
      job.token = nil
      job.stalls = job.stalls + 1
      job.attempts = job.attempts - 1   -- a lost run is not a failed attempt
      if job.stalls > max_stalls then
        job.state = 'failed'
        job.error = 'job stalled more than allowable limit'
        job.failed_at = now
        job.updated_at = now
        redis.call('ZADD', failed, now, id)
        store_job(jobs, job)
        emit(events, maxlen, job, 'failed', cjson.encode({job.error}))
      else
        make_inactive(jobs, inactive, job, now)
        store_job(jobs, job)
        emit(events, maxlen, job, 'stalled', cjson.encode({job.stalls}))
      end
    end
  end
end

-- 3. claim
local out = {}
local n = 0
if want > 0 and settings[2] ~= '1' then
  local popped = redis.call('ZPOPMIN', inactive, want)
  for i = 1, #popped, 2 do
    local id = popped[i]
    local job = load_job(jobs, id)
    if job then
      job.state = 'active'
      job.attempts = job.attempts + 1
      job.runs = job.runs + 1
      job.started_at = now
      job.updated_at = now
      local token = prefix .. '.' .. job.runs
      job.token = token
      redis.call('ZADD', active, now + lease, id)
      store_job(jobs, job)
      emit(events, maxlen, job, 'start', '[]')
      n = n + 1
      out[#out + 1] = id
      out[#out + 1] = job.data
      out[#out + 1] = job.attempts
      out[#out + 1] = job.max_attempts
      out[#out + 1] = job.ttl
      out[#out + 1] = job.priority
      out[#out + 1] = token
      out[#out + 1] = job.backoff
      out[#out + 1] = job.created_at
    end
  end
end

local left = redis.call('ZCARD', inactive)
if left > 0 and n > 0 then wake(wake_key) end   -- let the next idle worker in
local next_due = -1
if delayed_left > 0 then
  next_due = tonumber(redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')[2])
end
if check_at and redis.call('ZCARD', active) > 0 and (next_due < 0 or check_at < next_due) then
  next_due = check_at
end
local head = {next_due, left, delayed_left, n}
for _, v in ipairs(out) do head[#head + 1] = v end
return head
