-- wrk script for bench/http.ts: GETs entries with inclusion proofs at random indexes below args[1].
local size

function init(args) size = tonumber(args[1]) end

function request()
  return wrk.format("GET", "/api/v1/log/entries?logIndex=" .. math.random(0, size - 1))
end

function done(summary, latency, requests)
  io.write(string.format('{"sent":0,"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"non2xx":%d,"errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
