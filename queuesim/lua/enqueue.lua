--[[
  Save new jobs: give each an id, store its record, index it as inactive or delayed.
  Input:
    KEYS[1] id counter    KEYS[2] jobs (hash)   KEYS[3] inactive (zset)
    KEYS[4] delayed (zset) KEYS[5] events (stream) KEYS[6] wake (list)
    ARGV[1] now (ms)  ARGV[2] events maxlen  ARGV[3] queue name
    ARGV[4..] per job, 8 values: data (JSON text), priority, delay (ms), max attempts,
              backoff (JSON text or ''), ttl (ms), remove on complete (0/1), events (0/1)
  Output:
    { the new ids in order, the stream id of the first enqueue event (or '') }
]]
local now = tonumber(ARGV[1])
local maxlen = ARGV[2]
local queue_name = ARGV[3]
local ids = {}
local woke = false
local first_event = ''
local count = (#ARGV - 3) / 8
local next_id = redis.call('INCRBY', KEYS[1], count) - count
local enqueue_args = {}
for i = 4, #ARGV, 8 do
  next_id = next_id + 1
  local id = next_id
  local delay = tonumber(ARGV[i + 2])
  local job = {
    id = tostring(id), data = ARGV[i], priority = tonumber(ARGV[i + 1]), delay = delay,
    attempts = 0, max_attempts = tonumber(ARGV[i + 3]), backoff = ARGV[i + 4],
    ttl = tonumber(ARGV[i + 5]), remove_on_complete = tonumber(ARGV[i + 6]),
    events = tonumber(ARGV[i + 7]), created_at = now, updated_at = now,
    progress = 0, stalls = 0, runs = 0,
  }
  if delay > 0 then
    job.state = 'delayed'
    job.promote_at = now + delay
    redis.call('ZADD', KEYS[4], job.promote_at, job.id)
  else
    make_inactive(KEYS[2], KEYS[3], job, now)
    woke = true
  end
  store_job(KEYS[2], job)
  local args = enqueue_args[job.state]
  if not args then
    args = cjson.encode({queue_name, job.state})
    enqueue_args[job.state] = args
  end
  local event_id = emit(KEYS[5], maxlen, job, 'enqueue', args)
  if event_id and first_event == '' then first_event = event_id end
  ids[#ids + 1] = job.id
end
if woke then wake(KEYS[6]) end
return {ids, first_event}
