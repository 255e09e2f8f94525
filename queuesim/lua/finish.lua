--[[
  Apply a batch of outcomes reported by a worker. An outcome counts only if
  the worker still holds the job's lease (the record holds its token); otherwise
  the job was recovered meanwhile and the outcome is ignored (code 0).
  Input:
    KEYS[1] jobs  KEYS[2] active  KEYS[3] inactive  KEYS[4] delayed  KEYS[5] complete
    KEYS[6] failed  KEYS[7] events  KEYS[8] wake  KEYS[9] stats (hash)
    KEYS[9 + i] log list of the i-th outcome's job (deleted with remove-on-complete)
    ARGV[1] now (ms)  ARGV[2] events maxlen
    ARGV[3..] per outcome, 7 values: id, token, kind ('complete' | 'fail' | 'requeue'),
              payload (result JSON text, or error message), stacktrace, retry delay (ms),
              when the run ended (ms; -1 = now): durations and work time end there, not at
              the report, so a worker that could not reach Redis for a while counts no outage
  Output:
    one code per outcome: 1 applied, 0 lease lost
]]
local jobs, active, inactive, delayed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local complete, failed, events, wake_key, stats = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now = tonumber(ARGV[1])
local maxlen = ARGV[2]
local codes = {}
local woke = false
local completed, work_time = 0, 0   -- counters go to stats once per call
local k = 0
for i = 3, #ARGV, 7 do
  k = k + 1
  local id, token, kind = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local job = load_job(jobs, id)
  if job and (job.token ~= token or job.state ~= 'active') then job = nil end
  if not job then
    codes[#codes + 1] = 0
  else
    codes[#codes + 1] = 1
    job.token = nil
    redis.call('ZREM', active, id)
    job.updated_at = now
    local ended = tonumber(ARGV[i + 6])
    if ended < 0 or ended > now then ended = now end
    if job.started_at and ended < job.started_at then ended = job.started_at end
    if kind == 'complete' then
      job.duration = ended - job.started_at
      work_time = work_time + job.duration
      completed = completed + 1
      job.state = 'complete'
      job.finished_at = ended
      job.result = ARGV[i + 3]
      emit(events, maxlen, job, 'complete', '[' .. job.result .. ']')
      if job.remove_on_complete == 1 then
        redis.call('HDEL', jobs, id)
        redis.call('DEL', KEYS[9 + k])
      else
        redis.call('ZADD', complete, ended, id)
        store_job(jobs, job)
      end
    elseif kind == 'fail' then
      job.error = ARGV[i + 3]
      job.stacktrace = ARGV[i + 4]
      job.failed_at = ended
      job.duration = ended - job.started_at
      work_time = work_time + job.duration
      if job.attempts < job.max_attempts then
        emit(events, maxlen, job, 'failed attempt', cjson.encode({job.error, job.attempts}))
        local delay = tonumber(ARGV[i + 5])
        if delay > 0 then
          job.state = 'delayed'
          job.promote_at = ended + delay
          redis.call('ZADD', delayed, job.promote_at, id)
        else
          make_inactive(jobs, inactive, job, now)
          woke = true
        end
      else
        redis.call('HINCRBY', stats, 'failed', 1)
        job.state = 'failed'
        redis.call('ZADD', failed, ended, id)
        emit(events, maxlen, job, 'failed', cjson.encode({job.error}))
      end
      store_job(jobs, job)
    else -- requeue: the worker is shutting down; the run does not count
      job.attempts = job.attempts - 1
      make_inactive(jobs, inactive, job, now)
      store_job(jobs, job)
      emit(events, maxlen, job, 'requeue', '[]')
      woke = true
    end
  end
end
if completed > 0 then redis.call('HINCRBY', stats, 'completed', completed) end
if work_time ~= 0 then redis.call('HINCRBY', stats, 'work_time', work_time) end
if woke then wake(wake_key) end
return codes
