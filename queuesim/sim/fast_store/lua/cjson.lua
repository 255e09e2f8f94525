--[[
  cjson for scripts, with the semantics of the lua-cjson 2.1 that Redis bundles where scripts can
  see them: numbers encode with "%.14g"; strings escape '"', '\', '/', control characters and DEL;
  a table whose keys are all positive integers is an array (holes become null; "excessively
  sparse" arrays are an error), any other table an object, and an empty table is {}; null decodes
  to cjson.null. One difference remains: the order of an object's members follows LuaJIT's table
  iteration, not Lua 5.1's (both are unspecified; the JSON is equivalent).
]]
local S = ...
local type, pairs, tostring, tonumber, error, setmetatable = type, pairs, tostring, tonumber, error,
  setmetatable
local floor, huge = math.floor, math.huge
local byte, char, sub, find, format, gsub, concat = string.byte, string.char, string.sub, string.find,
  string.format, string.gsub, table.concat

local cjson = {}
local null = newproxy and newproxy(false) or setmetatable({}, {__tostring = function() return 'userdata: NULL' end})
cjson.null = null

-- ------------------------------------------------------------------ encode
local escapes = {['"'] = '\\"', ['\\'] = '\\\\', ['/'] = '\\/', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t', ['\127'] = '\\u007f'}
for i = 0, 31 do
  local c = char(i)
  if escapes[c] == nil then escapes[c] = format('\\u%04x', i) end
end

-- short strings (object keys, states, ids) recur: their escaped text is remembered
local escaped, nescaped = {}, 0

-- a string's JSON text goes into buf as pieces: '"', the escaped text, '"' (no intermediate strings)
local function put_string(s, buf, k)
  local e = escaped[s]
  if e == nil then
    e = s
    if find(s, '[%c"\\/]') then e = gsub(s, '[%c"\\/]', escapes) end
    if #s <= 40 then
      if nescaped >= 4096 then escaped, nescaped = {}, 0 end
      escaped[s] = e
      nescaped = nescaped + 1
    end
  end
  buf[k + 1] = '"'
  buf[k + 2] = e
  buf[k + 3] = '"'
  return k + 3
end

-- lua-cjson formats numbers with "%.14g", which is what tostring does too; numbers recur (timestamps,
-- counters, 0 and 1), so their texts are remembered (not zero's: as a table key -0 would read as 0)
local numbers, nnumbers = {}, 0
local function encode_number(x)
  local text = numbers[x]
  if text ~= nil then return text end
  if x ~= x or x == huge or x == -huge then error('Cannot serialise number: must not be NaN or Inf', 0) end
  text = tostring(x)
  if x ~= 0 then
    if nnumbers >= 4096 then numbers, nnumbers = {}, 0 end
    numbers[x] = text
    nnumbers = nnumbers + 1
  end
  return text
end

-- an object member's opening text for a string key: '"key":', or ',"key":' after the first member
local opening, following, nmembers = {}, {}, 0
local function member_text(key, first)
  local text = (first and opening or following)[key]
  if text ~= nil then return text end
  local e = escaped[key]
  if e == nil then
    e = key
    if find(key, '[%c"\\/]') then e = gsub(key, '[%c"\\/]', escapes) end
  end
  text = (first and '"' or ',"') .. e .. '":'
  if #key <= 40 then
    if nmembers >= 4096 then opening, following, nmembers = {}, {}, 0 end
    if first then opening[key] = text else following[key] = text end
    nmembers = nmembers + 1
  end
  return text
end

local encode_value

local function encode_array(t, max, buf, k, depth)
  k = k + 1; buf[k] = '['
  for i = 1, max do
    if i > 1 then k = k + 1; buf[k] = ',' end
    k = encode_value(t[i], buf, k, depth)
  end
  k = k + 1; buf[k] = ']'
  return k
end

-- ------------------------------------------------------------------ a record encoded, then decoded
--[[
  A script that stores a record with cjson.encode is often followed by one that loads the same text
  with cjson.decode (a job's claim, then its finish). Encoding a flat object (string keys; string,
  number, boolean or null values) also builds, in encode_table, the table that decoding its text
  gives, member by member in the same order, and keeps it under the text; decoding that text hands
  the table over (once) instead of parsing it. A kept number is the value its text reads back as.
  Texts up to 4 KiB are kept, 1,024 at the most (then all are dropped): at most 4 MiB of texts and
  as much again in their tables' strings, however large the records a script writes.
]]
local KEEP_BYTES, KEEP_COUNT = 4096, 1024
local decoded, ndecoded = {}, 0

local function keep(text, copy)
  if #text > KEEP_BYTES then return end
  if ndecoded >= KEEP_COUNT then decoded, ndecoded = {}, 0 end
  decoded[text] = copy
  ndecoded = ndecoded + 1
end

-- copy: a table to fill with what decoding t's text gives while t looks flat (see above), or nil;
-- returns the new end of buf and the filled copy, nil if t is not a flat object
local function encode_table(t, buf, k, depth, copy)
  if depth > 1000 then error('Cannot serialise, excessive nesting (1001)', 0) end
  -- encode as an object while checking the keys; a table whose keys all are positive
  -- integers turns out to be an array, and is encoded again as one
  local start = k
  local max, items, array = 0, 0, true
  k = k + 1; buf[k] = '{'
  for key, v in pairs(t) do
    local tk = type(key)
    if tk == 'string' then
      array = false
      k = k + 1; buf[k] = member_text(key, items == 0)
      items = items + 1
      local tv = type(v)   -- the common values inline: a string or a number
      if tv == 'string' then
        k = put_string(v, buf, k)
      elseif tv == 'number' then
        k = k + 1; buf[k] = encode_number(v)
      else
        k = encode_value(v, buf, k, depth)
      end
      if copy ~= nil then
        if tv == 'number' then   -- the value its text reads back as
          if v % 1 == 0 and v > -1e14 and v < 1e14 then copy[key] = v else copy[key] = tonumber(buf[k]) end
        elseif tv == 'string' or tv == 'boolean' or v == null then
          copy[key] = v
        else
          copy = nil
        end
      end
    elseif tk == 'number' then
      copy = nil
      if items > 0 then k = k + 1; buf[k] = ',' end
      items = items + 1
      if array then
        if key >= 1 and key == floor(key) then
          if key > max then max = key end
        else
          array = false
        end
      end
      k = k + 1; buf[k] = '"' .. encode_number(key) .. '":'
      k = encode_value(v, buf, k, depth)
    else
      error('Cannot serialise table: table key must be a number or string', 0)
    end
  end
  if array and max > 0 then
    if max > items * 2 and max > 10 then error('Cannot serialise table: excessively sparse array', 0) end
    return encode_array(t, max, buf, start, depth), nil
  end
  k = k + 1; buf[k] = '}'
  if items == 0 then copy = nil end
  return k, copy
end

encode_value = function(v, buf, k, depth)
  local tv = type(v)
  if tv == 'string' then
    return put_string(v, buf, k)
  elseif tv == 'number' then
    k = k + 1; buf[k] = encode_number(v)
  elseif tv == 'table' then
    if v == null then k = k + 1; buf[k] = 'null' else k = encode_table(v, buf, k, depth + 1) end
  elseif tv == 'boolean' then
    k = k + 1; buf[k] = v and 'true' or 'false'
  elseif v == nil or v == null then
    k = k + 1; buf[k] = 'null'
  else
    error('Cannot serialise ' .. tv .. ': type not supported', 0)
  end
  return k
end

function cjson.encode(...)
  if select('#', ...) ~= 1 then error('bad argument #1 to \'encode\' (expected 1 argument)', 0) end
  local v = ...
  local tv = type(v)
  if tv == 'number' then return encode_number(v) end
  local buf = {}
  if tv == 'table' and v ~= null then
    local k, copy = encode_table(v, buf, 0, 1, {})
    local text = concat(buf, '', 1, k)
    if copy ~= nil then keep(text, copy) end
    return text
  end
  local k = encode_value(v, buf, 0, 0)
  return concat(buf, '', 1, k)
end

-- ------------------------------------------------------------------ decode
-- Written for few C calls per member (one find and one sub per string or number), which is what
-- costs in LuaJIT's interpreter and in Lua 5.1.
local function decode_error(what, pos)
  error(format('Expected %s but found invalid token at character %d', what, pos), 0)
end

local function skipws(s, pos)
  local b = byte(s, pos)
  if b == 32 or b == 9 or b == 10 or b == 13 then
    local _, e = find(s, '^[ \t\n\r]*', pos)
    return e + 1
  end
  return pos
end

local unescape = {[34] = '"', [92] = '\\', [47] = '/', [98] = '\b', [102] = '\f', [110] = '\n', [114] = '\r',
                  [116] = '\t'}

local function utf8(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then return char(0xC0 + floor(cp / 64), 0x80 + cp % 64) end
  if cp < 0x10000 then return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64) end
  return char(0xF0 + floor(cp / 262144), 0x80 + floor(cp / 4096) % 64, 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function unterminated(s) error('Expected value but found unexpected end of string at character ' .. (#s + 1), 0) end

-- the string whose opening quote is at pos; returns it and the position after the closing quote
local function decode_string(s, pos)
  local i = pos + 1
  local e = find(s, '["\\]', i)
  if e == nil then unterminated(s) end
  if byte(s, e) == 34 then return sub(s, i, e - 1), e + 1 end
  local parts, np = {}, 0
  while true do
    np = np + 1; parts[np] = sub(s, i, e - 1)
    if byte(s, e) == 34 then return concat(parts), e + 1 end
    local c = byte(s, e + 1)
    if c == 117 then
      local hex = sub(s, e + 2, e + 5)
      local cp = #hex == 4 and find(hex, '^%x%x%x%x$') and tonumber(hex, 16)
      if not cp then decode_error('value', e) end
      i = e + 6
      if cp >= 0xD800 and cp <= 0xDBFF and sub(s, i, i + 1) == '\\u' then
        local lo = tonumber(sub(s, i + 2, i + 5), 16)
        if lo and lo >= 0xDC00 and lo <= 0xDFFF then
          cp = 0x10000 + (cp - 0xD800) * 1024 + (lo - 0xDC00)
          i = i + 6
        end
      end
      np = np + 1; parts[np] = utf8(cp)
    else
      local r = unescape[c]
      if r == nil then decode_error('value', e) end
      np = np + 1; parts[np] = r
      i = e + 2
    end
    e = find(s, '["\\]', i)
    if e == nil then unterminated(s) end
  end
end

local decode_value

local function decode_number(s, pos)
  local e = find(s, '[^%d%.eE+-]', pos) or (#s + 1)
  local v = tonumber(sub(s, pos, e - 1))
  if v == nil then decode_error('value', pos) end
  return v, e
end

local function decode_array(s, pos, depth)
  local t, n = {}, 0
  pos = skipws(s, pos + 1)
  if byte(s, pos) == 93 then return t, pos + 1 end
  while true do
    local v
    v, pos = decode_value(s, pos, depth)
    n = n + 1; t[n] = v
    pos = skipws(s, pos)
    local c = byte(s, pos)
    if c == 93 then return t, pos + 1 end
    if c ~= 44 then decode_error('comma or array end', pos) end
    pos = skipws(s, pos + 1)
  end
end

local function decode_object(s, pos, depth)
  local t = {}
  pos = skipws(s, pos + 1)
  local c = byte(s, pos)
  if c == 125 then return t, pos + 1 end
  while true do
    if c ~= 34 then decode_error('object key string', pos) end
    -- the common member, "key":value with no escapes or spaces around the colon, takes one find
    local _, e, key = find(s, '^"([^"\\]*)":', pos)
    if e then
      pos = e + 1
    else
      key, pos = decode_string(s, pos)
      if byte(s, pos) ~= 58 then
        pos = skipws(s, pos)
        if byte(s, pos) ~= 58 then decode_error('colon', pos) end
      end
      pos = pos + 1
    end
    c = byte(s, pos)
    if c == 34 then
      local _, e2, v = find(s, '^"([^"\\]*)"', pos)
      if e2 then
        t[key] = v
        pos = e2 + 1
      else
        t[key], pos = decode_string(s, pos)
      end
    elseif c == 45 or (c ~= nil and c >= 48 and c <= 57) then
      local _, e2, v = find(s, '^(-?%d+%.?%d*[eE]?[-+]?%d*)', pos)
      local num = v and tonumber(v)
      if num == nil then decode_error('value', pos) end
      t[key] = num
      pos = e2 + 1
    else
      t[key], pos = decode_value(s, skipws(s, pos), depth)
    end
    c = byte(s, pos)
    if c ~= 44 and c ~= 125 then
      pos = skipws(s, pos)
      c = byte(s, pos)
    end
    if c == 125 then return t, pos + 1 end
    if c ~= 44 then decode_error('comma or object end', pos) end
    pos = pos + 1
    c = byte(s, pos)
    if c ~= 34 then
      pos = skipws(s, pos)
      c = byte(s, pos)
    end
  end
end

decode_value = function(s, pos, depth)
  local c = byte(s, pos)
  if c == 34 then return decode_string(s, pos) end
  if c == 123 then
    if depth >= 1000 then error('Found too many nested data structures (1001) at character ' .. pos, 0) end
    return decode_object(s, pos, depth + 1)
  end
  if c == 91 then
    if depth >= 1000 then error('Found too many nested data structures (1001) at character ' .. pos, 0) end
    return decode_array(s, pos, depth + 1)
  end
  if c == 45 or (c ~= nil and c >= 48 and c <= 57) then return decode_number(s, pos) end
  if c == 116 and sub(s, pos, pos + 3) == 'true' then return true, pos + 4 end
  if c == 102 and sub(s, pos, pos + 4) == 'false' then return false, pos + 5 end
  if c == 110 and sub(s, pos, pos + 3) == 'null' then return null, pos + 4 end
  if c == nil then error('Expected value but found T_END at character ' .. pos, 0) end
  decode_error('value', pos)
end

function cjson.decode(s)
  local kept = decoded[s]
  if kept ~= nil then
    decoded[s] = nil
    return kept
  end
  if type(s) == 'number' then s = tostring(s) end
  if type(s) ~= 'string' then error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ')', 0) end
  local v, pos = decode_value(s, skipws(s, 1), 0)
  pos = skipws(s, pos)
  if pos <= #s then error('Expected the end but found invalid token at character ' .. pos, 0) end
  return v
end

S.cjson = cjson
