--[[
  Record a running job's progress and tell listeners.
  Input:
    KEYS[1] jobs  KEYS[2] events
    ARGV[1] id  ARGV[2] percent (0-100)  ARGV[3] progress data (JSON text)  ARGV[4] now  ARGV[5] maxlen
  Output:
    1, or 0 when the job does not exist
]]
local job = load_job(KEYS[1], ARGV[1])
if not job then return 0 end
job.progress = tonumber(ARGV[2])
job.progress_data = ARGV[3]
job.updated_at = tonumber(ARGV[4])
store_job(KEYS[1], job)
emit(KEYS[2], ARGV[5], job, 'progress', '[' .. ARGV[2] .. ',' .. ARGV[3] .. ']')
return 1
