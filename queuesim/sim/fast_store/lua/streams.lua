--[[
  Stream commands: XADD XRANGE XREVRANGE XLEN XREAD (without blocking) XTRIM XDEL

  A stream is {t='stream', ms = {}, seq = {}, f = {} (per entry: field, value, ...), h, e (entry index range),
  last_ms, last_seq, nodes = {}, nh, ne (node index range)}. Entry ids come from the injected clock.

  Redis packs entries into listpack nodes (at most stream-node-max-entries = 100 entries, closed once
  adding one would reach stream-node-max-bytes = 4096 bytes) and approximate trimming (MAXLEN ~)
  drops whole nodes only. Each node here keeps the counts and the byte size Redis's listpack would
  have, so MAXLEN ~ keeps exactly the entries Redis keeps.
]]
local S = ...
local command, fail, typed, touch, db, parse_int = S.command, S.fail, S.typed, S.touch, S.db, S.parse_int
local floor, find, upper, tonumber, format, sub, byte = math.floor, string.find, string.upper, tonumber,
  string.format, string.sub, string.byte

local NODE_MAX_ENTRIES = 100
local NODE_MAX_BYTES = 4096
local E_ID = 'ERR Invalid stream ID specified as stream command argument'
local MAXSEQ = 18446744073709551615  -- as a double: 2^64

local function get_stream(key) return typed(key, 'stream') end

local function new_stream(key)
  local st = {t = 'stream', ms = {}, seq = {}, f = {}, h = 1, e = 0, last_ms = 0, last_seq = 0,
              nodes = {}, nh = 1, ne = 0}
  db[key] = st
  return st
end

local function id_text(ms, seq)
  if ms < 1e17 and seq < 1e17 then return format('%d-%d', ms, seq) end   -- ids are never negative
  return S.fmt_int(ms) .. '-' .. S.fmt_int(seq)
end

-- ------------------------------------------------------------------ listpack sizes
local function backlen(l)
  if l <= 127 then return 1 elseif l < 16383 then return 2 elseif l < 2097151 then return 3
  elseif l < 268435455 then return 4 end
  return 5
end

local function int_size(v)
  local e
  if v >= 0 and v <= 127 then e = 1
  elseif v >= -4096 and v <= 4095 then e = 2
  elseif v >= -32768 and v <= 32767 then e = 3
  elseif v >= -8388608 and v <= 8388607 then e = 4
  elseif v >= -2147483648 and v <= 2147483647 then e = 5
  else e = 9 end
  return e + backlen(e)
end

-- a listpack stores a string that reads as a 64-bit integer as that integer
local function measure(s)
  local len = #s
  local b = byte(s, 1)
  if len > 0 and len <= 20 and (b == 45 or (b >= 48 and b <= 57)) and (s == '0' or find(s, '^%-?[1-9]%d*$')) then
    if len < 16 or S.host.int64_ok(s) then return int_size(tonumber(s)) end
  end
  local e
  if len < 64 then e = 1 + len elseif len < 4096 then e = 2 + len else e = 5 + len end
  return e + backlen(e)
end

-- short strings recur (field names, event names, ids of recent jobs): their sizes are remembered
local sizes, nsizes = {}, 0
local function str_size(s)
  local size = sizes[s]
  if size ~= nil then return size end
  size = measure(s)
  if #s <= 32 then
    if nsizes >= 4096 then sizes, nsizes = {}, 0 end
    sizes[s] = size
    nsizes = nsizes + 1
  end
  return size
end

local function set_counts(node, live, deleted)
  node.bytes = node.bytes + int_size(live) + int_size(deleted) - int_size(node.live) - int_size(node.deleted)
  node.live, node.deleted = live, deleted
end

local function add_entry(st, ms, seq, a, first, n)
  local nf = (n - first + 1) / 2
  local total = 0
  for i = first, n do total = total + #a[i] end
  local node = nil
  if st.ne >= st.nh then
    node = st.nodes[st.ne]
    if node.bytes + total >= NODE_MAX_BYTES or node.live + node.deleted >= NODE_MAX_ENTRIES then node = nil end
  end
  local same
  if node == nil then
    local names = {}
    local bytes = 7 + int_size(0) * 3 + int_size(nf)
    for i = 1, nf do
      local name = a[first + 2 * (i - 1)]
      names[i] = name
      bytes = bytes + str_size(name)
    end
    node = {live = 0, deleted = 0, bytes = bytes, fields = names, ms = ms, seq = seq}
    st.ne = st.ne + 1
    st.nodes[st.ne] = node
    same = true
  else
    local names = node.fields
    same = #names == nf
    if same then
      for i = 1, nf do
        if names[i] ~= a[first + 2 * (i - 1)] then same = false; break end
      end
    end
  end
  local size = int_size(same and 2 or 0) + int_size(ms - node.ms) + int_size(seq - node.seq)
  for i = first + 1, n, 2 do size = size + str_size(a[i]) end
  if same then
    size = size + int_size(nf + 3)
  else
    size = size + int_size(nf)
    for i = first, n, 2 do size = size + str_size(a[i]) end
    size = size + int_size(2 * nf + 4)
  end
  node.bytes = node.bytes + size
  set_counts(node, node.live + 1, node.deleted)
  local fields = {}
  for i = first, n do fields[i - first + 1] = a[i] end
  local e = st.e + 1
  st.e = e
  st.ms[e], st.seq[e], st.f[e] = ms, seq, fields
  st.last_ms, st.last_seq = ms, seq
end

local function drop_head(st, count)
  local h = st.h
  local ms, seq, f = st.ms, st.seq, st.f
  for i = h, h + count - 1 do ms[i] = nil; seq[i] = nil; f[i] = nil end
  st.h = h + count
end

-- streamTrim for MAXLEN: whole nodes from the head; then (exact only) entries inside the next node
local function trim(st, maxlen, approx, limit)
  local deleted = 0
  while st.nh <= st.ne do
    local len = st.e - st.h + 1
    if len <= maxlen then break end
    local node = st.nodes[st.nh]
    local entries = node.live
    if limit > 0 and deleted + entries > limit then break end
    if len - entries >= maxlen then
      drop_head(st, entries)
      st.nodes[st.nh] = nil
      st.nh = st.nh + 1
      deleted = deleted + entries
    else
      if approx then break end
      local k = len - maxlen
      drop_head(st, k)
      set_counts(node, node.live - k, node.deleted + k)
      deleted = deleted + k
      break
    end
  end
  return deleted
end

-- ------------------------------------------------------------------ ids
local function parse_u64(s)
  if #s == 0 or #s > 20 or not find(s, '^%d+$') then return nil end
  return tonumber(s)
end

-- an id "ms-seq" or "ms" (seq = missing_seq); seq may be '*' when allow_star
local function parse_id(s, missing_seq, allow_star)
  local dash = find(s, '-', 1, true)
  if dash == nil then
    local ms = parse_u64(s)
    if ms == nil then fail(E_ID) end
    return ms, missing_seq, false
  end
  local ms = parse_u64(sub(s, 1, dash - 1))
  local rest = sub(s, dash + 1)
  if ms == nil then fail(E_ID) end
  if allow_star and rest == '*' then return ms, nil, true end
  local seq = parse_u64(rest)
  if seq == nil then fail(E_ID) end
  return ms, seq, false
end

local function lt(m1, s1, m2, s2) return m1 < m2 or (m1 == m2 and s1 < s2) end

-- index of the first entry with id >= (ms, seq)
local function lower_bound(st, ms, seq)
  local l, h = st.h, st.e + 1
  local ams, aseq = st.ms, st.seq
  while l < h do
    local mid = floor((l + h) / 2)
    if lt(ams[mid], aseq[mid], ms, seq) then l = mid + 1 else h = mid end
  end
  return l
end

local function entry(st, i)
  local f = st.f[i]
  local copy = {}
  for j = 1, #f do copy[j] = f[j] end
  return {id_text(st.ms[i], st.seq[i]), copy}
end

-- ------------------------------------------------------------------ XADD / XTRIM
-- parse [NOMKSTREAM] [MAXLEN [=|~] n [LIMIT c]] from a[i]; returns nomkstream, maxlen (nil: none),
-- approx, limit and the index after them (as values, not a table: XADD runs once a job event)
local function trim_options(a, n, i, xadd)
  local nomkstream, maxlen, approx, limit = false, nil, false, nil
  while i <= n do
    local opt = S.opt(a[i])
    if xadd and opt == 'NOMKSTREAM' then
      nomkstream = true
    elseif opt == 'MAXLEN' and i < n then
      i = i + 1
      if a[i] == '~' then approx = true; i = i + 1 elseif a[i] == '=' then i = i + 1 end
      if i > n then fail(S.E_SYNTAX) end
      local v = parse_int(a[i])
      if v == nil then fail(S.E_INT) end
      if v < 0 then fail('ERR The MAXLEN argument must be >= 0.') end
      maxlen = v
    elseif opt == 'MINID' then
      fail('ERR MINID is not supported by FastStore')
    elseif opt == 'LIMIT' and i < n then
      i = i + 1
      local v = parse_int(a[i])
      if v == nil then fail(S.E_INT) end
      if v < 0 then fail('ERR The LIMIT argument must be >= 0.') end
      limit = v
    else
      break
    end
    i = i + 1
  end
  if limit ~= nil and not approx then
    fail('ERR syntax error, LIMIT cannot be used without the special ~ option')
  end
  if limit == nil then limit = approx and 100 * NODE_MAX_ENTRIES or 0 end
  return nomkstream, maxlen, approx, limit, i
end

command('XADD', -5, '', function(a, n)
  local key = a[2]
  local nomkstream, maxlen, approx, limit, i = trim_options(a, n, 3, true)
  if i > n then fail(S.E_SYNTAX) end
  local id = a[i]
  local first = i + 1
  if n - first + 1 < 2 or (n - first + 1) % 2 ~= 0 then S.wrong_args('xadd') end
  local ms, seq, star
  if id == '*' then
    star = true
  else
    ms, seq, star = parse_id(id, 0, true)
    if not star and ms == 0 and seq == 0 then fail('ERR The ID specified in XADD must be greater than 0-0') end
  end
  local st = get_stream(key)
  if st == nil then
    if nomkstream then return false end
  end
  local last_ms, last_seq = 0, 0
  if st ~= nil then last_ms, last_seq = st.last_ms, st.last_seq end
  if id == '*' then
    local now = floor(S.now * 1000)
    if now > last_ms then ms, seq = now, 0 else ms, seq = last_ms, last_seq + 1 end
  elseif star then
    if ms == last_ms then
      seq = last_seq + 1
    elseif ms > last_ms then
      seq = 0
    else
      fail('ERR The ID specified in XADD is equal or smaller than the target stream top item')
    end
  elseif not lt(last_ms, last_seq, ms, seq) then
    fail('ERR The ID specified in XADD is equal or smaller than the target stream top item')
  end
  if st == nil then st = new_stream(key) end
  add_entry(st, ms, seq, a, first, n)
  if maxlen ~= nil then trim(st, maxlen, approx, limit) end
  touch(key)
  return id_text(ms, seq)
end)

command('XTRIM', -4, '', function(a, n)
  local key = a[2]
  local _, maxlen, approx, limit, i = trim_options(a, n, 3, false)
  if i <= n or maxlen == nil then fail(S.E_SYNTAX) end
  local st = get_stream(key)
  if st == nil then return 0 end
  local deleted = trim(st, maxlen, approx, limit)
  if deleted > 0 then touch(key) end
  return deleted
end)

command('XLEN', 2, '', function(a)
  local st = get_stream(a[2])
  if st == nil then return 0 end
  return st.e - st.h + 1
end)

command('XDEL', -3, '', function(a, n)
  local key = a[2]
  local st = get_stream(key)
  if st == nil then return 0 end   -- Redis looks the key up before it reads the ids
  local ids = {}
  for i = 3, n do
    local ms, seq = parse_id(a[i], 0, false)
    ids[#ids + 1] = {ms, seq}
  end
  local deleted = 0
  for _, id in ipairs(ids) do
    local i = lower_bound(st, id[1], id[2])
    if i <= st.e and st.ms[i] == id[1] and st.seq[i] == id[2] then
      -- the node holding entry i
      local before = i - st.h
      local ni = st.nh
      local node = st.nodes[ni]
      while before >= node.live do
        before = before - node.live
        ni = ni + 1
        node = st.nodes[ni]
      end
      if node.live == 1 then
        table.remove(st.nodes, ni)
        st.ne = st.ne - 1
      else
        set_counts(node, node.live - 1, node.deleted + 1)
      end
      table.remove(st.ms, i)
      table.remove(st.seq, i)
      table.remove(st.f, i)
      st.e = st.e - 1
      deleted = deleted + 1
    end
  end
  if deleted > 0 then touch(key) end
  return deleted
end)

-- ------------------------------------------------------------------ reading
-- a range bound: '-', '+', '(' exclusive, "ms" completed with seq 0 (start) or max (end)
local function range_bound(s, is_start)
  if s == '-' then return 0, 0 end
  if s == '+' then return MAXSEQ, MAXSEQ end
  local excl = sub(s, 1, 1) == '('
  if excl then s = sub(s, 2) end
  local ms, seq = parse_id(s, is_start and 0 or MAXSEQ, false)
  if excl then
    if is_start then
      if seq == MAXSEQ then
        if ms == MAXSEQ then fail('ERR invalid start ID for the interval') end
        ms, seq = ms + 1, 0
      else
        seq = seq + 1
      end
    else
      if seq == 0 then
        if ms == 0 then fail('ERR invalid end ID for the interval') end
        ms, seq = ms - 1, MAXSEQ
      else
        seq = seq - 1
      end
    end
  end
  return ms, seq
end

local function xrange(a, n, rev)
  local key = a[2]
  local slo, shi = a[3], a[4]
  if rev then slo, shi = shi, slo end
  local lms, lseq = range_bound(slo, true)
  local hms, hseq = range_bound(shi, false)
  local count = -1
  local i = 5
  while i <= n do
    if upper(a[i]) == 'COUNT' and i < n then
      count = parse_int(a[i + 1])
      if count == nil then fail(S.E_INT) end
      if count < 0 then count = 0 end
      i = i + 2
    else
      fail(S.E_SYNTAX)
    end
  end
  local st = get_stream(key)
  if st == nil then return {} end
  if count == 0 then return false end
  local out = {}
  if lt(hms, hseq, lms, lseq) then return out end
  local first = lower_bound(st, lms, lseq)
  local k = 0
  if not rev then
    for j = first, st.e do
      if lt(hms, hseq, st.ms[j], st.seq[j]) then break end
      if count > 0 and k >= count then break end
      k = k + 1
      out[k] = entry(st, j)
    end
  else
    local last = lower_bound(st, hms, hseq)
    if last > st.e or lt(hms, hseq, st.ms[last], st.seq[last]) then last = last - 1 end
    for j = last, first, -1 do
      if count > 0 and k >= count then break end
      k = k + 1
      out[k] = entry(st, j)
    end
  end
  return out
end

command('XRANGE', -4, '', function(a, n) return xrange(a, n, false) end)
command('XREVRANGE', -4, '', function(a, n) return xrange(a, n, true) end)

command('XREAD', -4, '', function(a, n, id)
  local count, block = 0, nil
  local i = 2
  local streams_at = nil
  while i <= n do
    local opt = upper(a[i])
    if opt == 'COUNT' and i < n then
      count = parse_int(a[i + 1])
      if count == nil then fail(S.E_INT) end
      if count < 0 then count = 0 end
      i = i + 2
    elseif opt == 'BLOCK' and i < n then
      block = parse_int(a[i + 1])
      if block == nil then fail('ERR timeout is not an integer or out of range') end
      if block < 0 then fail('ERR timeout is negative') end
      i = i + 2
    elseif opt == 'STREAMS' then
      streams_at = i + 1
      break
    else
      fail(S.E_SYNTAX)
    end
  end
  if streams_at == nil then fail(S.E_SYNTAX) end
  local nargs = n - streams_at + 1
  if nargs == 0 or nargs % 2 ~= 0 then
    fail("ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.")
  end
  local nkeys = nargs / 2
  local froms = {}
  for j = 1, nkeys do
    local key, id = a[streams_at + j - 1], a[streams_at + nkeys + j - 1]
    local st = get_stream(key)
    if id == '$' then
      if st then froms[j] = {st.last_ms, st.last_seq} else froms[j] = {0, 0} end
    else
      local ms, seq = parse_id(id, 0, false)
      froms[j] = {ms, seq}
    end
  end
  local out = {}
  for j = 1, nkeys do
    local key = a[streams_at + j - 1]
    local st = get_stream(key)
    if st ~= nil then
      local ms, seq = froms[j][1], froms[j][2]
      local first = lower_bound(st, ms, seq)
      if first <= st.e and st.ms[first] == ms and st.seq[first] == seq then first = first + 1 end
      if first <= st.e then
        local entries, k = {}, 0
        for x = first, st.e do
          if count > 0 and k >= count then break end
          k = k + 1
          entries[k] = entry(st, x)
        end
        if id ~= 0 then
          out[#out + 1] = key
          out[#out + 1] = entries
        else
          out[#out + 1] = {key, entries}
        end
      end
    end
  end
  if #out == 0 then
    if block ~= nil then fail('ERR XREAD BLOCK would wait, and a FastStore cannot block: nothing else runs meanwhile') end
    return false
  end
  if id ~= 0 then return S.map(out) end
  return out
end)
