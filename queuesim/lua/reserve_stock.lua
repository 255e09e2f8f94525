--[[
reserve_stock: take QUANTITY units of one product, only if at least that many are left.
The read, the check and the write are one atomic step: no other client's command
can land between them, so the stock is never oversold and never goes below 0.

KEYS[1]  item.<id>: the remaining stock (a missing key means the initial stock)
ARGV[1]  the product's initial stock (used when the key is missing)
ARGV[2]  how many units to take (an integer >= 1)

Returns {1, left} when reserved, left being the stock remaining after it;
        {0, left} when fewer than QUANTITY units are left (nothing is written);
        {-1, value} when the key holds anything but an integer (nothing is written).
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
if left < want then
  return {0, left}
end
redis.call('SET', KEYS[1], string.format('%d', left - want))
return {1, left - want}
