--[[
  Extend the leases a worker still holds.
  Input:
    KEYS[1] active  KEYS[2] locks
    ARGV[1] new lease deadline (ms)  ARGV[2..] pairs of id, token
  Output:
    the ids whose lease was lost (recovered by another worker meanwhile)
]]
local lost = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], id)
  else
    lost[#lost + 1] = id
  end
end
return lost
