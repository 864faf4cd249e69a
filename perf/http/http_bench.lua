-- wrk script for mgw-http-bench: one file for every route, the route named by the first argument
-- after `--`:
--   wrk ... -s http_bench.lua URL -- static                          (nginx: GET the URL's path)
--   wrk ... -s http_bench.lua URL -- get    TOKENS MEETING_IDS       (GET /meeting/{first id})
--   wrk ... -s http_bench.lua URL -- create TOKENS                   (POST /meeting)
--   wrk ... -s http_bench.lua URL -- join   TOKENS MEETING_IDS WRK_THREADS [FIRST_PAIR]
-- TOKENS and MEETING_IDS are files with one value a line. Static routes build their request once
-- (wrk's fast path); only join builds one per request, walking (meeting, account) pairs so that
-- every request inserts a new participation until all M x K pairs are used: thread i takes pairs
-- P + i, P + i + T, ... (T = WRK_THREADS, P = FIRST_PAIR, default 0: a later run continues where
-- an earlier one stopped), pair k = (meeting k mod M, account floor(k / M) mod K).
-- done() prints one line, `MGW_WRK_RESULT {json}`, that the harness reads (latency in µs).

local function read_lines(path)
  local lines = {}
  local file = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in file:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  file:close()
  assert(#lines > 0, path .. " is empty")
  return lines
end

local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local tokens, ids, stride, k

local function join_request()
  local m = #ids
  local meeting = ids[(k % m) + 1]
  local token = tokens[(math.floor(k / m) % #tokens) + 1]
  k = k + stride
  return wrk.format("POST", "/meeting/join",
                    {["Content-Type"] = "application/json",
                     ["Authorization"] = "Bearer " .. token},
                    '{"meeting_id":"' .. meeting .. '"}')
end

function init(args)
  local mode = args[1]
  if mode == "static" then return end
  tokens = read_lines(args[2])
  wrk.headers["Authorization"] = "Bearer " .. tokens[1]
  if mode == "get" then
    ids = read_lines(args[3])
    wrk.method = "GET"
    wrk.path = "/meeting/" .. ids[1]
  elseif mode == "create" then
    wrk.method = "POST"
    wrk.path = "/meeting"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"title":"http bench"}'
  elseif mode == "join" then
    ids = read_lines(args[3])
    stride = tonumber(args[4]) or 1
    k = (tonumber(args[5]) or 0) + (thread_index or 0)
    request = join_request  -- defined after init: wrk then calls it for every request
  else
    error("unknown route " .. tostring(mode))
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'MGW_WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"mean_us":%.1f,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p99_9_us":%d,"max_us":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency.mean,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
