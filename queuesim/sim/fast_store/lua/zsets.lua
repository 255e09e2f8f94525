--[[
  Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK ZCOUNT ZRANGE ZREVRANGE
  ZRANGEBYSCORE ZREVRANGEBYSCORE ZPOPMIN ZPOPMAX ZREMRANGEBYSCORE ZREMRANGEBYRANK

  A sorted set is {t='zset', n = members, d = {member -> score}, c = chunks, nc = #chunks}: the
  (score, member) pairs in order, cut into chunks of at most MAXC, each {s = scores, m = members, k = size}
  (a sorted list of sorted lists). Ties on score order by member bytes, as Redis does.
]]
local S = ...
local command, fail, typed, touch, remove, db, parse_int, fmt_double = S.command, S.fail, S.typed, S.touch,
  S.remove, S.db, S.parse_int, S.fmt_double
local floor, huge, upper, lower, tonumber, byte = math.floor, math.huge, string.upper, string.lower, tonumber,
  string.byte
local tinsert, tremove = table.insert, table.remove
local opt = S.opt

local MAXC = 128

local function get_zset(key) return typed(key, 'zset') end

local function new_zset(key)
  local z = {t = 'zset', n = 0, d = {}, c = {}, nc = 0}
  db[key] = z
  return z
end

-- ------------------------------------------------------------------ the ordered structure
-- position of the first pair >= (s, m): chunk index and index in the chunk (k + 1 past the end)
local function locate(z, s, m)
  local c, nc = z.c, z.nc
  local lo, hi = 1, nc
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    local ch = c[mid]
    local k = ch.k
    local ls = ch.s[k]
    if ls < s or (ls == s and ch.m[k] < m) then lo = mid + 1 else hi = mid end
  end
  local ch = c[lo]
  local ss, mm = ch.s, ch.m
  local l, h = 1, ch.k + 1
  while l < h do
    local mid = floor((l + h) / 2)
    local ms = ss[mid]
    if ms < s or (ms == s and mm[mid] < m) then l = mid + 1 else h = mid end
  end
  return lo, l
end

local function insert(z, s, m)
  z.d[m] = s
  z.n = z.n + 1
  if z.nc == 0 then
    z.c[1] = {s = {s}, m = {m}, k = 1}
    z.nc = 1
    return
  end
  local ci, p = locate(z, s, m)
  local ch = z.c[ci]
  local k = ch.k
  if p > k then
    ch.s[k + 1] = s; ch.m[k + 1] = m
  else
    tinsert(ch.s, p, s); tinsert(ch.m, p, m)
  end
  k = k + 1
  ch.k = k
  if k > MAXC then
    local half = floor(k / 2)
    local ns, nm = {}, {}
    local os, om = ch.s, ch.m
    for i = half + 1, k do
      ns[i - half] = os[i]; nm[i - half] = om[i]
      os[i] = nil; om[i] = nil
    end
    ch.k = half
    tinsert(z.c, ci + 1, {s = ns, m = nm, k = k - half})
    z.nc = z.nc + 1
  end
end

local function delete(z, m)
  local s = z.d[m]
  z.d[m] = nil
  z.n = z.n - 1
  local ci, p = locate(z, s, m)
  local ch = z.c[ci]
  local k = ch.k
  if p == k then
    ch.s[k] = nil; ch.m[k] = nil
  else
    tremove(ch.s, p); tremove(ch.m, p)
  end
  ch.k = k - 1
  if k == 1 then
    tremove(z.c, ci)
    z.nc = z.nc - 1
  end
end

-- the chunk and index of 0-based rank r (r < n)
local function at_rank(z, r)
  local c = z.c
  if r < z.n / 2 then
    for ci = 1, z.nc do
      local k = c[ci].k
      if r < k then return ci, r + 1 end
      r = r - k
    end
  else
    local back = z.n - 1 - r
    for ci = z.nc, 1, -1 do
      local k = c[ci].k
      if back < k then return ci, k - back end
      back = back - k
    end
  end
end

-- 0-based rank of the pair at (ci, p)
local function rank_of(z, ci, p)
  local r = p - 1
  local c = z.c
  for i = 1, ci - 1 do r = r + c[i].k end
  return r
end

-- position of the first pair whose score passes the lower bound (min, exclusive); k + 1 of the last chunk if none
local function first_from(z, min, excl)
  local c, nc = z.c, z.nc
  local lo, hi = 1, nc
  while lo < hi do
    local mid = floor((lo + hi) / 2)
    local ch = c[mid]
    local ls = ch.s[ch.k]
    if ls < min or (excl and ls == min) then lo = mid + 1 else hi = mid end
  end
  local ch = c[lo]
  local ss = ch.s
  local l, h = 1, ch.k + 1
  while l < h do
    local mid = floor((l + h) / 2)
    local ms = ss[mid]
    if ms < min or (excl and ms == min) then l = mid + 1 else h = mid end
  end
  return lo, l
end

-- position of the last pair whose score passes the upper bound (max, exclusive); (1, 0) if none
local function last_upto(z, max, excl)
  local c, nc = z.c, z.nc
  local lo, hi = 1, nc
  while lo < hi do   -- last chunk whose first score passes
    local mid = floor((lo + hi + 1) / 2)
    local fs = c[mid].s[1]
    if fs < max or (not excl and fs == max) then lo = mid else hi = mid - 1 end
  end
  local ch = c[lo]
  local ss = ch.s
  local l, h = 0, ch.k
  while l < h do
    local mid = floor((l + h + 1) / 2)
    local ms = ss[mid]
    if ms < max or (not excl and ms == max) then l = mid else h = mid - 1 end
  end
  return lo, l
end

-- ------------------------------------------------------------------ argument parsing
-- a range bound as zslParseRange reads it: '(' for exclusive, then strtod (leading spaces allowed)
local INFINITE = {['-inf'] = -huge, ['+inf'] = huge, ['inf'] = huge}

local function parse_bound(s)
  local inf = INFINITE[s]
  if inf ~= nil then return inf, false end
  local excl = false
  if byte(s, 1) == 40 then excl = true; s = s:sub(2) end
  if s == '' then return 0, excl end
  local e = byte(s, #s)
  if e == 32 or (e >= 9 and e <= 13) then return nil end
  local v = tonumber(s)
  if v == nil then
    local l = lower(s:match('^%s*(.-)$'))
    if l == 'inf' or l == '+inf' or l == 'infinity' or l == '+infinity' then return huge, excl end
    if l == '-inf' or l == '-infinity' then return -huge, excl end
    return nil
  end
  if v ~= v then return nil end
  return v, excl
end

local function range_args(smin, smax)
  local min, minx = parse_bound(smin)
  local max, maxx = parse_bound(smax)
  if min == nil or max == nil then fail('ERR min or max is not a float') end
  return min, minx, max, maxx
end

local function long_arg(s)
  local v = parse_int(s)
  if v == nil then fail(S.E_INT) end
  return v
end

-- ------------------------------------------------------------------ collecting ranges
-- append member (and score) to out
-- withscores: false, 'resp2' (member, score text, ...) or 'resp3' ({member, double}, ...)
local function emit(out, k, m, s, withscores)
  if withscores == 'resp3' then
    k = k + 1; out[k] = {m, S.double(s)}
  else
    k = k + 1; out[k] = m
    if withscores then k = k + 1; out[k] = fmt_double(s) end
  end
  return k
end

local function by_rank(z, start, stop, rev, withscores)
  local out = {}
  local n = z.n
  if start < 0 then start = n + start end
  if stop < 0 then stop = n + stop end
  if start < 0 then start = 0 end
  if start > stop or start >= n then return out end
  if stop >= n then stop = n - 1 end
  local count = stop - start + 1
  local c, k = z.c, 0
  if not rev then
    local ci, p = at_rank(z, start)
    local ch = c[ci]
    for _ = 1, count do
      if p > ch.k then ci = ci + 1; ch = c[ci]; p = 1 end
      k = emit(out, k, ch.m[p], ch.s[p], withscores)
      p = p + 1
    end
  else
    local ci, p = at_rank(z, n - 1 - start)
    local ch = c[ci]
    for _ = 1, count do
      if p < 1 then ci = ci - 1; ch = c[ci]; p = ch.k end
      k = emit(out, k, ch.m[p], ch.s[p], withscores)
      p = p - 1
    end
  end
  return out
end

-- members with min <= score <= max (bounds possibly exclusive), skipping offset, at most limit (< 0: all)
local function by_score(z, min, minx, max, maxx, rev, withscores, offset, limit)
  local out = {}
  if z.n == 0 or offset < 0 then return out end
  local c, k = z.c, 0
  if not rev then
    local ci, p = first_from(z, min, minx)
    local ch = c[ci]
    while true do
      if p > ch.k then
        ci = ci + 1
        if ci > z.nc then break end
        ch = c[ci]; p = 1
      end
      local s = ch.s[p]
      if s > max or (maxx and s == max) then break end
      if offset > 0 then
        offset = offset - 1
      else
        if limit == 0 then break end
        k = emit(out, k, ch.m[p], s, withscores)
        limit = limit - 1
      end
      p = p + 1
    end
  else
    local ci, p = last_upto(z, max, maxx)
    local ch = c[ci]
    while true do
      if p < 1 then
        ci = ci - 1
        if ci < 1 then break end
        ch = c[ci]; p = ch.k
      end
      local s = ch.s[p]
      if s < min or (minx and s == min) then break end
      if offset > 0 then
        offset = offset - 1
      else
        if limit == 0 then break end
        k = emit(out, k, ch.m[p], s, withscores)
        limit = limit - 1
      end
      p = p - 1
    end
  end
  return out
end

-- ------------------------------------------------------------------ commands
local function zadd(a, n, id, force_incr)
  local nx, xx, ch, incr, gt, lt = false, false, false, force_incr, false, false
  local i = 3
  if not force_incr then
    while i <= n do
      local f = opt(a[i])
      if f == 'NX' then nx = true
      elseif f == 'XX' then xx = true
      elseif f == 'CH' then ch = true
      elseif f == 'INCR' then incr = true
      elseif f == 'GT' then gt = true
      elseif f == 'LT' then lt = true
      else break end
      i = i + 1
    end
  end
  local elements = n - i + 1
  if elements % 2 ~= 0 or elements == 0 then fail(S.E_SYNTAX) end
  if nx and xx then fail('ERR XX and NX options at the same time are not compatible') end
  if (gt and nx) or (lt and nx) or (gt and lt) then
    fail('ERR GT, LT, and/or NX options at the same time are not compatible')
  end
  if incr and elements > 2 then fail('ERR INCR option supports a single increment-element pair') end
  local scores = {}
  for j = i, n, 2 do scores[#scores + 1] = S.float_arg(a[j]) end
  local key = a[2]
  local z = get_zset(key)
  if z == nil then
    if xx then
      if incr then return false end
      return 0
    end
    z = new_zset(key)
  end
  local d = z.d
  local added, changed = 0, 0
  local result = false
  local e = 0
  for j = i, n, 2 do
    e = e + 1
    local s, m = scores[e], a[j + 1]
    local cur = d[m]
    if cur ~= nil then
      if not nx then
        if incr then
          s = cur + s
          if s ~= s then
            if added + changed > 0 then touch(key) end
            fail('ERR resulting score is not a number (NaN)')
          end
        end
        if not ((gt and s <= cur) or (lt and s >= cur)) then
          if s ~= cur then
            delete(z, m)
            insert(z, s, m)
            changed = changed + 1
          end
          result = s
        end
      end
    elseif not xx then
      insert(z, s, m)
      added = added + 1
      result = s
    end
  end
  if added + changed > 0 then touch(key) end
  if z.n == 0 then remove(key) end
  if incr then
    if not result then return false end
    if id ~= 0 then return S.double(result) end
    return fmt_double(result)
  end
  if ch then return added + changed end
  return added
end

command('ZADD', -4, '', function(a, n, id) return zadd(a, n, id, false) end)
command('ZINCRBY', 4, '', function(a, n, id) return zadd(a, n, id, true) end)

command('ZREM', -3, '', function(a, n)
  local key = a[2]
  local z = get_zset(key)
  if z == nil then return 0 end
  local d = z.d
  local removed = 0
  for i = 3, n do
    local m = a[i]
    if d[m] ~= nil then delete(z, m); removed = removed + 1 end
  end
  if removed > 0 then
    if z.n == 0 then remove(key) end
    touch(key)
  end
  return removed
end)

command('ZCARD', 2, '', function(a)
  local z = get_zset(a[2])
  return z and z.n or 0
end)

command('ZSCORE', 3, '', function(a, _, id)
  local z = get_zset(a[2])
  local s = z and z.d[a[3]]
  if s == nil then return false end
  if id ~= 0 then return S.double(s) end
  return fmt_double(s)
end)

command('ZMSCORE', -3, '', function(a, n, id)
  local z = get_zset(a[2])
  local out = {}
  for i = 3, n do
    local s = z and z.d[a[i]]
    if s == nil then out[i - 2] = false
    elseif id ~= 0 then out[i - 2] = S.double(s)
    else out[i - 2] = fmt_double(s) end
  end
  return out
end)

local function zrank(a, rev)
  local z = get_zset(a[2])
  if z == nil then return false end
  local m = a[3]
  local s = z.d[m]
  if s == nil then return false end
  local ci, p = locate(z, s, m)
  local r = rank_of(z, ci, p)
  if rev then return z.n - 1 - r end
  return r
end
command('ZRANK', 3, '', function(a) return zrank(a, false) end)
command('ZREVRANK', 3, '', function(a) return zrank(a, true) end)

command('ZCOUNT', 4, '', function(a)
  local min, minx, max, maxx = range_args(a[3], a[4])
  local z = get_zset(a[2])
  if z == nil then return 0 end
  return #by_score(z, min, minx, max, maxx, false, false, 0, -1)
end)

-- the common form of ZRANGE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE
-- kind: 'auto' (ZRANGE), 'rank' (ZREVRANGE), 'score' (Z[REV]RANGEBYSCORE); rev: fixed direction
local function zrange(a, n, id, kind, rev)
  local withscores, offset, limit = false, 0, -1
  local limited = false
  local rangetype = kind ~= 'auto' and kind or nil
  local direction = (kind ~= 'auto') and (rev and 'rev' or 'fwd') or nil
  local i = 5
  while i <= n do
    local word = opt(a[i])
    local left = n - i
    if word == 'WITHSCORES' then withscores = id ~= 0 and 'resp3' or 'resp2'
    elseif word == 'LIMIT' and left >= 2 then
      offset = long_arg(a[i + 1])
      limit = long_arg(a[i + 2])
      limited = true
      i = i + 2
    elseif direction == nil and word == 'REV' then direction = 'rev'
    elseif rangetype == nil and word == 'BYSCORE' then rangetype = 'score'
    elseif rangetype == nil and word == 'BYLEX' then rangetype = 'lex'
    else fail(S.E_SYNTAX) end
    i = i + 1
  end
  direction = direction or 'fwd'
  rangetype = rangetype or 'rank'
  if limited and rangetype == 'rank' then
    fail('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')
  end
  if rangetype == 'lex' then fail('ERR BYLEX is not supported by FastStore') end
  local reverse = direction == 'rev'
  local lo, hi = a[3], a[4]
  if reverse and rangetype == 'score' then lo, hi = hi, lo end
  if rangetype == 'rank' then
    local start, stop = long_arg(lo), long_arg(hi)
    local z = get_zset(a[2])
    if z == nil then return {} end
    return by_rank(z, start, stop, reverse, withscores)
  end
  local min, minx, max, maxx = range_args(lo, hi)
  local z = get_zset(a[2])
  if z == nil then return {} end
  return by_score(z, min, minx, max, maxx, reverse, withscores, offset, limit)
end

command('ZRANGE', -4, '', function(a, n, id) return zrange(a, n, id, 'auto', false) end)
command('ZREVRANGE', -4, '', function(a, n, id) return zrange(a, n, id, 'rank', true) end)
command('ZRANGEBYSCORE', -4, '', function(a, n, id) return zrange(a, n, id, 'score', false) end)
command('ZREVRANGEBYSCORE', -4, '', function(a, n, id) return zrange(a, n, id, 'score', true) end)

local function zpop(a, n, id, max, name)
  if n > 3 then S.wrong_args(name) end
  local count = 1
  local nested = id ~= 0 and n == 3   -- RESP3: [member, score] alone, or a list of pairs with a count
  if n == 3 then
    count = parse_int(a[3])
    if count == nil or count < 0 then fail('ERR value is out of range, must be positive') end
  end
  local key = a[2]
  local z = get_zset(key)
  local out = {}
  if z == nil or count == 0 then return out end
  if count > z.n then count = z.n end
  local k = 0
  for _ = 1, count do
    local ch, p
    if max then ch = z.c[z.nc]; p = ch.k else ch = z.c[1]; p = 1 end
    local m, s = ch.m[p], ch.s[p]
    if nested then
      k = k + 1; out[k] = {m, S.double(s)}
    else
      k = k + 1; out[k] = m
      k = k + 1; out[k] = id ~= 0 and S.double(s) or fmt_double(s)
    end
    delete(z, m)
  end
  if z.n == 0 then remove(key) end
  touch(key)
  return out
end

command('ZPOPMIN', -2, '', function(a, n, id) return zpop(a, n, id, false, 'zpopmin') end)
command('ZPOPMAX', -2, '', function(a, n, id) return zpop(a, n, id, true, 'zpopmax') end)

local function remove_members(key, z, members)
  for _, m in ipairs(members) do delete(z, m) end
  if #members > 0 then
    if z.n == 0 then remove(key) end
    touch(key)
  end
  return #members
end

command('ZREMRANGEBYSCORE', 4, '', function(a)
  local min, minx, max, maxx = range_args(a[3], a[4])
  local key = a[2]
  local z = get_zset(key)
  if z == nil then return 0 end
  return remove_members(key, z, by_score(z, min, minx, max, maxx, false, false, 0, -1))
end)

command('ZREMRANGEBYRANK', 4, '', function(a)
  local start, stop = long_arg(a[3]), long_arg(a[4])
  local key = a[2]
  local z = get_zset(key)
  if z == nil then return 0 end
  return remove_members(key, z, by_rank(z, start, stop, false, false))
end)
