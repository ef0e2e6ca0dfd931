-- wrk script of benchmarks/donations.py: POST pre-signed Stripe webhook events, each
-- once, in the order of the file given after `--` (one "signature<TAB>body" a line).
-- Run with one wrk thread (-t1): the whole file is that thread's, so no event is sent
-- twice; past its end the script starts over (those answers say "duplicate" and count
-- as unexpected). Prints how many answers were not 200 {"received": "paid"}.

sigs, bodies, at, unexpected, paid = {}, {}, 0, 0, 0

function setup(thread)
  runner = thread
end

function init(args)
  for line in io.lines(args[1]) do
    local sig, body = line:match("^([^\t]*)\t(.*)$")
    sigs[#sigs + 1], bodies[#bodies + 1] = sig, body
  end
end

function request()
  at = at % #bodies + 1
  return wrk.format("POST", "/webhooks/stripe",
    {["Stripe-Signature"] = sigs[at], ["Content-Type"] = "application/json"}, bodies[at])
end

function response(status, headers, body)
  if status == 200 and body:find('"paid"', 1, true) then
    paid = paid + 1
  else
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("webhooks paid %d unexpected %d\n",
    runner:get("paid"), runner:get("unexpected")))
end
