-- wrk script: a mix of reads and writes for the soak. Per 20 requests: 14 point checks, 3
-- registry reads, 2 hazard reads by bounding box (token), 1 field report entered (token, a
-- write). Counts the writes answered 201 (WRITES line; `created` is global so that done()
-- reads it from each thread), and every failure.
local token = os.getenv("TOKEN") or ""
local n = 0
created = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

local function square(x, y)
  return string.format('{"kind":"new-area","feature":{"type":"Feature","properties":{"status":"open"},"geometry":{"type":"Polygon","coordinates":[[[%f,%f],[%f,%f],[%f,%f],[%f,%f],[%f,%f]]]}}}',
    x, y, x + 0.001, y, x + 0.001, y + 0.001, x, y + 0.001, x, y)
end

function request()
  n = n + 1
  local k = n % 20
  local auth = { ["Authorization"] = "Bearer " .. token }
  if k == 0 then
    auth["Content-Type"] = "application/json"
    local x = 103 + math.random() * 2
    local y = 11 + math.random() * 2
    return wrk.format("POST", "/api/v1/reports", auth, square(x, y))
  elseif k < 3 then
    local x = 103 + math.random() * 2
    local y = 11 + math.random() * 2
    return wrk.format("GET", string.format("/api/v1/hazards?bbox=%f,%f,%f,%f", x, y, x + 0.02, y + 0.02), auth)
  elseif k < 6 then
    local paths = { "/api/v1/states", "/api/v1/states/KHM", "/api/v1/casualties" }
    return wrk.format("GET", paths[math.random(3)])
  else
    local x = 102.5 + math.random() * 4
    local y = 10.5 + math.random() * 4
    return wrk.format("GET", string.format("/api/v1/check?lon=%f&lat=%f&within=100", x, y))
  end
end

function response(status, headers, body)
  if status == 201 then created = created + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("created") or 0) end
  io.write(string.format("RESULT requests=%d rps=%.0f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  io.write(string.format("WRITES %d\n", total))
end
