--[[
  Extend the leases a worker still holds.
  Input:
    KEYS[1] active  KEYS[2] jobs
    ARGV[1] new lease deadline (ms)  ARGV[2..] pairs of id, token
  Output:
    the ids whose lease was lost (recovered by another worker meanwhile)
]]
local lost = {}
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local job = load_job(KEYS[2], id)
  if job and job.state == 'active' and job.token == ARGV[i + 1] then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], id)
  else
    lost[#lost + 1] = id
  end
end
return lost
