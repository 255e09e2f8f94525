--[[
  Move a job that is not running to another state (Kue's job.state(s) and the
  JSON API's PUT /job/:id/state/:state; requeueing a failed job is a move to
  'inactive'), or change its priority. An active job cannot be moved: its
  worker owns it until it finishes or its lease expires.
  Input:
    KEYS[1] jobs  KEYS[2] inactive  KEYS[3] active  KEYS[4] delayed  KEYS[5] complete
    KEYS[6] failed  KEYS[7] events  KEYS[8] wake
    ARGV[1] id  ARGV[2] target state ('' keeps the state)  ARGV[3] now  ARGV[4] maxlen
    ARGV[5] new priority ('' keeps it)
    ARGV[6] '1': give the job all its attempts again and forget its stalls (a retry)
  Output:
    the job's new state, or 'missing', or 'active' when the job is running
  Event: 'move' with [old state, new state, priority], so other processes' views follow.
]]
local id, target, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local job = load_job(KEYS[1], id)
if not job then return 'missing' end
if job.state == 'active' then return 'active' end
local index = {inactive = KEYS[2], delayed = KEYS[4], complete = KEYS[5], failed = KEYS[6]}
if ARGV[5] ~= '' then job.priority = tonumber(ARGV[5]) end
if ARGV[6] == '1' then
  job.attempts = 0
  job.stalls = 0
end
if target == '' then target = job.state end
local from = job.state
redis.call('ZREM', index[job.state], id)
job.updated_at = now
if target == 'inactive' then
  make_inactive(KEYS[1], KEYS[2], job, now)
  redis.call('LPUSH', KEYS[8], '1')
elseif target == 'delayed' then
  job.state = 'delayed'
  if not job.promote_at or job.promote_at < now then job.promote_at = now end
  redis.call('ZADD', KEYS[4], job.promote_at, id)
else
  job.state = target
  redis.call('ZADD', index[target], now, id)
end
store_job(KEYS[1], job)
emit(KEYS[7], ARGV[4], job, 'move', cjson.encode({from, job.state, job.priority}))
return job.state
