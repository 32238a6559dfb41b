-- wrk script for bench/http.ts: POSTs distinct pre-generated uploads, one per request.
-- args: <ndjson file> <first line>; run with one thread (-t1) so lines are used in order.
local bodies = {}
used = 0 -- global, so done() can read it with thread:get

function init(args)
  local first, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    if i >= first and #line > 0 then bodies[#bodies + 1] = line end
    i = i + 1
  end
end

function request()
  used = used + 1
  local body = bodies[used]
  if body == nil then error("bench: out of pre-generated entries; raise ENTRIES") end
  return wrk.format("POST", "/api/v1/log/entries", { ["Content-Type"] = "application/json" }, body)
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, requests)
  local sent = 0
  for _, t in ipairs(threads) do sent = sent + t:get("used") end
  io.write(string.format('{"sent":%d,"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\n',
    sent, summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
