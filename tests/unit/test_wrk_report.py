"""The benchmarks read wrk's report (benchmarks/loadgen.py): rate, count and latency
percentiles in every unit wrk prints — a one-letter unit comes padded with a trailing
space, which once read as a p99 of zero."""

from __future__ import annotations

from benchmarks.loadgen import parse_wrk

REPORT = """Running 15s test @ http://127.0.0.1:18410/healthz
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   408.80ms  294.70ms   2.62s    82.65%
    Req/Sec    41.62     10.17    70.00     69.39%
  Latency Distribution
     50%  321.44ms
     75%  555.38ms
     90%  787.93ms
     99%    1.43s \n  620 requests in 15.05s, 408.69KB read
  Non-2xx or 3xx responses: 3
Requests/sec:     41.19
Transfer/sec:     27.15KB
webhooks paid 617 unexpected 3
"""


def test_every_figure_is_read_whatever_its_unit() -> None:
    figures = parse_wrk(REPORT)
    assert figures["p50"] == 321.44
    assert figures["p99"] == 1430.0
    assert (figures["requests"], figures["seconds"], figures["rate"]) == (620, 15.05, 41.19)
    assert figures["failures"] == 3


def test_microseconds_and_minutes() -> None:
    text = REPORT.replace("321.44ms", "835.00us").replace("1.43s ", "1.50m ")
    figures = parse_wrk(text)
    assert (figures["p50"], figures["p99"]) == (0.835, 90_000.0)
