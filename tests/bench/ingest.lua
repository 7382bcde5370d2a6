-- ingest.lua - wrk script of tests/bench/ingest: replays pre-generated provider webhook
-- requests (Twilio POSTs, Kannel GETs, WeCom encrypted POSTs), each exactly once, and
-- accounts for every response.
--
-- Environment:
--   JF_BENCH_CHANNEL   twilio, kannel or wecom: how to read the acknowledgement in a reply.
--   JF_BENCH_REQUESTS  prefix of the request files written by jf_bench_gen; wrk thread k
--                      (from 0) reads PREFIX.k, a sequence of records "%08d" length + raw
--                      HTTP request (method, path, headers and body as the provider sends
--                      them). There must be one file per wrk thread.
--   JF_BENCH_ACKED     file that done() fills with one line per acknowledged (2xx) reply:
--                        twilio  the ticket code after 编号 in the TwiML <Message>;
--                        kannel  the ticket code after 编号 in the %-encoded <ud> of
--                                Kannel's XML reply;
--                        wecom   "Encrypt MsgSignature TimeStamp Nonce" of the encrypted
--                                passive reply, which jf_bench_gen --open-replies verifies,
--                                decrypts and turns into ticket codes;
--                      so the caller can check each ticket is in the database.
--
-- response() only keeps each 2xx reply's body (no copy: wrk made the string anyway); the
-- parsing happens in done(), after the clock has stopped, so the client does the same
-- small amount of work per request whatever the channel.
--
-- A request is never sent twice: resending would take the idempotent path of intake and
-- inflate the rate. When a thread runs out of requests it sends one request to a path
-- that does not exist (so the run shows a non-2xx response), stops, and done() reports
-- "exhausted"; the caller must then generate more requests (--max-rate) and run again.
--
-- done() prints "bench.KEY=VALUE" lines for the caller to parse; latencies in
-- microseconds.

local channel = os.getenv("JF_BENCH_CHANNEL") or "twilio"
assert(channel == "twilio" or channel == "kannel" or channel == "wecom",
       "JF_BENCH_CHANNEL must be twilio, kannel or wecom")

local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("shard", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state). Counters are globals so that
-- done(), in the main state, can read them with thread:get().
local file
sent, ok, exhausted = 0, 0, 0
bodies = {}
bad = {}
local exhausted_req

function init(args)
   local prefix = assert(os.getenv("JF_BENCH_REQUESTS"), "JF_BENCH_REQUESTS is not set")
   local name = prefix .. "." .. tostring(shard)
   file = assert(io.open(name, "rb"))
   exhausted_req = "GET /bench/request-pool-exhausted HTTP/1.1\r\nHost: " .. wrk.host ..
      ":" .. tostring(wrk.port) .. "\r\n\r\n"
end

function request()
   local len = file:read(8)
   if len then
      local req = file:read(tonumber(len))
      if req and #req == tonumber(len) then
         sent = sent + 1
         return req
      end
   end
   exhausted = exhausted + 1
   wrk.thread:stop()
   return exhausted_req
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      bodies[ok] = body
   else
      bad[status] = (bad[status] or 0) + 1
   end
end

-- The acknowledgement in one 2xx reply body, as the line to write, or nil.
local function unhex(h)
   return string.char(tonumber(h, 16))
end
local ack_of = {
   twilio = function(body)
      return body:match("编号(%w+)")
   end,
   kannel = function(body)
      -- Every byte of the text is %-encoded; 编号 is E7BC96 E58FB7.
      local ud = body:match("<ud>([^<]*)</ud>")
      if not ud then
         return nil
      end
      return (ud:gsub("%%(%x%x)", unhex)):match("编号(%w+)")
   end,
   wecom = function(body)
      local enc, sig, ts, nonce = body:match(
         "^<xml><Encrypt><!%[CDATA%[([%w+/=]+)%]%]></Encrypt>" ..
         "<MsgSignature><!%[CDATA%[(%x+)%]%]></MsgSignature>" ..
         "<TimeStamp>(%d+)</TimeStamp><Nonce><!%[CDATA%[(%w+)%]%]></Nonce></xml>$")
      if not enc then
         return nil
      end
      return enc .. " " .. sig .. " " .. ts .. " " .. nonce
   end,
}

function done(summary, latency, requests)
   local out = assert(io.open(assert(os.getenv("JF_BENCH_ACKED"), "JF_BENCH_ACKED is not set"), "w"))
   local ack = ack_of[channel]
   local t_sent, t_ok, t_nocode, t_exhausted, t_codes = 0, 0, 0, 0, 0
   local t_bad = {}
   for _, thread in ipairs(threads) do
      t_sent = t_sent + thread:get("sent")
      t_ok = t_ok + thread:get("ok")
      t_exhausted = t_exhausted + thread:get("exhausted")
      for status, n in pairs(thread:get("bad")) do
         t_bad[status] = (t_bad[status] or 0) + n
      end
      local b = thread:get("bodies")
      for i = 1, #b do
         local line = ack(b[i])
         if line then
            out:write(line, "\n")
            t_codes = t_codes + 1
         else
            t_nocode = t_nocode + 1
         end
      end
   end
   out:close()
   local non2xx, detail = 0, {}
   for status, n in pairs(t_bad) do
      non2xx = non2xx + n
      detail[#detail + 1] = tostring(status) .. "x" .. tostring(n)
   end
   local e = summary.errors
   local lines = {
      "duration_us=" .. summary.duration,
      "responses=" .. summary.requests,
      "sent=" .. t_sent,
      "ok=" .. t_ok,
      "ok_codes=" .. t_codes,
      "ok_without_code=" .. t_nocode,
      "non2xx=" .. non2xx,
      "non2xx_detail=" .. (#detail > 0 and table.concat(detail, ",") or "none"),
      "exhausted=" .. t_exhausted,
      "err_connect=" .. e.connect,
      "err_read=" .. e.read,
      "err_write=" .. e.write,
      "err_timeout=" .. e.timeout,
      string.format("lat_mean=%.0f", latency.mean),
      string.format("lat_p50=%d", latency:percentile(50)),
      string.format("lat_p90=%d", latency:percentile(90)),
      string.format("lat_p99=%d", latency:percentile(99)),
      string.format("lat_p999=%d", latency:percentile(99.9)),
      string.format("lat_max=%d", latency.max),
   }
   for _, l in ipairs(lines) do
      io.write("bench.", l, "\n")
   end
end
