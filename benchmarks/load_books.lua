-- wrk script for benchmarks/load_books.py: a mix of CloudEvents, plain requests and,
-- with the "full" mix, bad events and uploads. The mix is wrk's first script
-- argument (`wrk ... -s load_books.lua URL -- events|full`, default "events"):
--   events: GET /books, a binary event, a structured event, a batch of two events
--   full:   the same, then an event without ce-id (400), an event of a type the
--           view refuses (400) and a 1 MiB octet-stream upload that is not an event (4xx)
-- Object keys cycle through a few slots per wrk thread (the structured event
-- removes the binary event's book), so the database, and GET /books, stay the
-- same size however long the run.
local threads = {}
local upload = string.rep("x", 1048576)
local SLOTS = 16

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  c2, c4, c5, other = 0, 0, 0, 0
  counter = 0
  mix = args[1] or "events"
  if mix == "events" then cycle = 4 elseif mix == "full" then cycle = 7
  else error("unknown mix " .. mix .. " (events or full)") end
end

local function binary(n, slot)
  local key = "books/load-" .. tid .. "-" .. slot .. ".epub"
  local data = '{"s3": {"object": {"key": "' .. key .. '", "size": ' .. n .. '}}}'
  return wrk.format("POST", "/books/events", {
    ["Content-Type"] = "application/json",
    ["ce-specversion"] = "1.0",
    ["ce-id"] = "load-" .. tid .. "-" .. n,
    ["ce-source"] = "aws:s3.us-east-1.books",
    ["ce-type"] = "com.amazonaws.s3.ObjectCreated:Put",
    ["ce-subject"] = key,
  }, data)
end

local function structured(n, slot)
  local key = "books/load-" .. tid .. "-" .. slot .. ".epub"
  local event = '{"specversion": "1.0", "id": "rm-' .. tid .. '-' .. n .. '", "source": "aws:s3.us-east-1.books", '
    .. '"type": "com.amazonaws.s3.ObjectRemoved:Delete", "subject": "' .. key .. '", '
    .. '"datacontenttype": "application/json", "data": {"s3": {"object": {"key": "' .. key .. '"}}}}'
  return wrk.format("POST", "/books/events", {["Content-Type"] = "application/cloudevents+json"}, event)
end

local function batch(n, slot)
  local items = {}
  for i = 0, 1 do
    local key = "books/batch-" .. tid .. "-" .. slot .. "-" .. i .. ".pdf"
    table.insert(items, '{"specversion": "1.0", "id": "b-' .. tid .. '-' .. n .. '-' .. i .. '", '
      .. '"source": "aws:s3.us-east-1.books", "type": "com.amazonaws.s3.ObjectCreated:Put", '
      .. '"subject": "' .. key .. '", "data": {"s3": {"object": {"key": "' .. key .. '", "size": 1}}}}')
  end
  return wrk.format("POST", "/books/events",
    {["Content-Type"] = "application/cloudevents-batch+json"}, "[" .. table.concat(items, ",") .. "]")
end

function request()
  counter = counter + 1
  local kind = counter % cycle
  local slot = math.floor(counter / cycle) % SLOTS
  if kind == 0 then
    return wrk.format("GET", "/books")
  elseif kind == 1 then
    return binary(counter, slot)
  elseif kind == 2 then
    return structured(counter, slot)
  elseif kind == 3 then
    return batch(counter, slot)
  elseif kind == 4 then
    return wrk.format("POST", "/books/events", {
      ["Content-Type"] = "application/json", ["ce-specversion"] = "1.0",
      ["ce-source"] = "/s", ["ce-type"] = "com.amazonaws.s3.ObjectCreated:Put"}, "{}")
  elseif kind == 5 then
    return wrk.format("POST", "/books/events", {
      ["Content-Type"] = "application/json", ["ce-specversion"] = "1.0", ["ce-id"] = "x",
      ["ce-source"] = "/s", ["ce-type"] = "com.example.unknown"}, "{}")
  else
    return wrk.format("POST", "/books", {["Content-Type"] = "application/octet-stream"}, upload)
  end
end

function response(status, headers, body)
  if status >= 500 then c5 = c5 + 1
  elseif status >= 400 then c4 = c4 + 1
  elseif status >= 200 and status < 300 then c2 = c2 + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t2, t4, t5, to = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t2 = t2 + thread:get("c2")
    t4 = t4 + thread:get("c4")
    t5 = t5 + thread:get("c5")
    to = to + thread:get("other")
  end
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.2f, "rps": %.1f, "p50_ms": %.2f, "p90_ms": %.2f, '
    .. '"p99_ms": %.2f, "max_ms": %.2f, "s2xx": %d, "s4xx": %d, "s5xx": %d, "other": %d, '
    .. '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "status_errors": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, t2, t4, t5, to,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
