--[[
  Delete finished jobs older than a cutoff from one state (complete or failed).
  Input:
    KEYS[1] jobs  KEYS[2] the state's index (complete or failed)
    ARGV[1] cutoff (ms; jobs that finished at or before it go)  ARGV[2] limit
  Output:
    the removed ids (the caller deletes their log lists)
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[1], id)
end
return ids
