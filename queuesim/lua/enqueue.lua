--[[
  Save new jobs: give each an id, store its record, index it as inactive or delayed.
  The caller encodes each record but for the fields only the script knows (id,
  state, times), so the script only joins strings: no cjson work per job.
  Input:
    KEYS[1] id counter    KEYS[2] jobs (hash)   KEYS[3] inactive (zset)
    KEYS[4] delayed (zset) KEYS[5] events (stream) KEYS[6] wake (list)
    ARGV[1] now (ms)  ARGV[2] events maxlen  ARGV[3] queue name
    ARGV[4..] per job, 4 values: the record's other fields as JSON object members
              ('"data":...,"priority":...}', closing brace included), priority,
              delay (ms), events (0/1)
  Output:
    { the new ids in order, the stream id of the first enqueue event (or '') }
]]
local now = tonumber(ARGV[1])
local maxlen = ARGV[2]
local jobs, inactive, delayed, events = KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ids = {}
local woke = false
local first_event = ''
local count = (#ARGV - 3) / 4
local next_id = redis.call('INCRBY', KEYS[1], count) - count
local stamp = '","created_at":' .. ARGV[1] .. ',"updated_at":' .. ARGV[1]
local enqueue_args = {}   -- the enqueue event's args per state, encoded when first needed
for i = 4, #ARGV, 4 do
  next_id = next_id + 1
  local id = string.format('%d', next_id)
  local delay = tonumber(ARGV[i + 2])
  local state, extra
  if delay > 0 then
    state = 'delayed'
    extra = ',"promote_at":' .. string.format('%d', now + delay) .. ','
    redis.call('ZADD', delayed, now + delay, id)
  else
    state = 'inactive'
    extra = ','
    redis.call('ZADD', inactive, inactive_score(ARGV[i + 1], id), id)
    woke = true
  end
  redis.call('HSET', jobs, id, '{"id":"' .. id .. '","state":"' .. state .. stamp .. extra .. ARGV[i])
  if ARGV[i + 3] == '1' then
    local args = enqueue_args[state]
    if not args then
      args = cjson.encode({ARGV[3], state})
      enqueue_args[state] = args
    end
    local event_id = redis.call('XADD', events, 'MAXLEN', '~', maxlen, '*', 'id', id, 'event', 'enqueue',
                                'args', args)
    if first_event == '' then first_event = event_id end
  end
  ids[#ids + 1] = id
end
if woke then wake(KEYS[6]) end
return {ids, first_event}
