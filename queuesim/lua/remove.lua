--[[
  Remove a job: its record (and with it any lease), its log and its place in every state index.
  A running job belongs to its worker: it is removed only with force (its worker's outcome is
  then refused, since its lease went with the record).
  Input:
    KEYS[1] jobs  KEYS[2] inactive  KEYS[3] active  KEYS[4] delayed  KEYS[5] complete
    KEYS[6] failed  KEYS[7] log list  KEYS[8] events
    ARGV[1] id  ARGV[2] events maxlen  ARGV[3] force ('1': remove a running job too)
  Output:
    'removed', 'missing', or 'active' (a running job without force: nothing changed)
]]
local id = ARGV[1]
local job = load_job(KEYS[1], id)
if not job then return 'missing' end
if job.state == 'active' and ARGV[3] ~= '1' then return 'active' end
for k = 2, 6 do redis.call('ZREM', KEYS[k], id) end
redis.call('HDEL', KEYS[1], id)
redis.call('DEL', KEYS[7])
emit(KEYS[8], ARGV[2], job, 'remove', '[]')
return 'removed'
