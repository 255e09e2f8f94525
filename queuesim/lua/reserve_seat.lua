--[[
reserve_seat: take QUANTITY seats, only if at least that many are left, and switch
reservations off once no seat is left. The read, the check, the decrement and the
switch are one atomic step: no other client's command can land between them, so no
seat is sold twice, the count never goes below 0, and the switch is off exactly when
the seats are gone.

KEYS[1]  available_seats: the seats left (a missing key means the initial number)
KEYS[2]  reservation_enabled: the switch, '0' once reservations are off
ARGV[1]  the initial number of seats (used when KEYS[1] is missing)
ARGV[2]  how many seats to take (an integer >= 1)

Returns {1, left} when reserved, left being the seats remaining after it
          (KEYS[2] is set to '0' when left is 0);
        {0, left} when fewer than QUANTITY seats are left (nothing is taken;
          KEYS[2] is set to '0' when left is 0 or below);
        {-1, value} when KEYS[1] holds anything but an integer (nothing is written).
]]
local raw = redis.call('GET', KEYS[1])
if raw == false then
  raw = ARGV[1]
end
-- at most 15 digits: Lua numbers are doubles, exact only up to 2^53
if not string.match(raw, '^%-?%d%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?%d?$') then
  return {-1, raw}
end
local left = tonumber(raw)
local want = tonumber(ARGV[2])
if left >= want then
  left = left - want
  redis.call('SET', KEYS[1], string.format('%d', left))
  if left <= 0 then
    redis.call('SET', KEYS[2], '0')
  end
  return {1, left}
end
if left <= 0 then
  redis.call('SET', KEYS[2], '0')
end
return {0, left}
