-- wrk script: single-point checks at places read from the workload's points (POINTS env, or
-- points.csv beside the data), one at random per request; latency percentiles at the end.
local places = {}

local function load(path)
  local f = io.open(path, "r")
  if not f then return end
  f:read("*l") -- header
  for _ = 1, 20000 do
    local line = f:read("*l")
    if not line then break end
    local _, lon, lat = line:match("^([^,]+),([^,]+),([^,]+)")
    if lon then places[#places + 1] = string.format("lon=%s&lat=%s", lon, lat) end
  end
  f:close()
end

function init(args)
  load(os.getenv("POINTS") or "points.csv")
  if #places == 0 then places[1] = "lon=104.91&lat=11.56" end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  local q = places[math.random(#places)]
  return wrk.format("GET", "/api/v1/check?" .. q .. "&within=100")
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
