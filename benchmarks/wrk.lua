-- One request shape per wrk run, taken from the environment, and a cap on
-- the number of responses so that every run is bounded in count as well as
-- in time (wrk itself bounds only the duration).
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local authorization = os.getenv("BENCH_AUTHORIZATION")
local if_none_match = os.getenv("BENCH_IF_NONE_MATCH")
local max_responses = tonumber(os.getenv("BENCH_MAX_RESPONSES") or "0")

wrk.method = method
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
if if_none_match and if_none_match ~= "" then
  wrk.headers["If-None-Match"] = if_none_match
end

local responses = 0
function response(status, headers, body)
  responses = responses + 1
  if max_responses > 0 and responses >= max_responses then
    wrk.thread:stop()
  end
end
