"""HTTP load against a server we start, and what the run cost the machine.

The load generator is wrk (Debian's `wrk`: C, epoll, keep-alive connections, a few
microseconds of CPU per request; `make loadgen` installs it). A Python client would
spend more CPU per request than the fastest server stacks do, on the same two cores.

Each run reports, besides wrk's rate and latency, the CPU-seconds spent during the
run by the server's processes (the process and its worker children, from /proc), by
the database backends serving it (PostgreSQL), by wrk itself (its rusage) and by the
whole machine (/proc/stat): what is left over was taken by other processes (other
jobs on the machine), which the figures show so that a run on a busy machine is
recognised as such. The servers and wrk run in sessions of their own that get the
benchmark's priority, and so do the database backends serving a server (a benchmark
started as root may raise it: `benchmarks.server_stack --nice -10`).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")
TIMEOUT = 30  # seconds wrk waits for a response


@dataclass(frozen=True, slots=True)
class Run:
    rate: float  # requests per second, as wrk counted them
    requests: int
    seconds: float
    failures: int  # responses other than 2xx/3xx, and socket errors
    p50_ms: float
    p99_ms: float
    server_cpu: float  # CPU-seconds of the server's processes during the run
    loadgen_cpu: float  # CPU-seconds of wrk
    machine_cpu: float  # CPU-seconds of every process on the machine
    database_cpu: float = 0.0  # CPU-seconds of the database backends serving the server

    @property
    def others_cpu(self) -> float:
        """What the rest of the machine took meanwhile (other jobs, other databases)."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.loadgen_cpu - self.database_cpu)

    @property
    def per_server_cpu(self) -> float:
        """Requests per CPU-second of the server: its cost, whatever else ran."""
        return self.requests / self.server_cpu if self.server_cpu else 0.0

    def cores(self, cpu: float) -> float:
        return cpu / self.seconds if self.seconds else 0.0


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `make loadgen` (Debian package wrk)")
    return found


def _machine_busy() -> float:
    """CPU-seconds every core has spent not idle since boot."""
    with open("/proc/stat") as handle:
        fields = [int(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU-seconds) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def cpu_of(pids: Iterable[int]) -> dict[int, float]:
    """CPU-seconds of each of these processes still alive."""
    return {pid: found[1] for pid in pids if (found := _stat(pid)) is not None}


def set_priority(pids: Iterable[int], niceness: int) -> None:
    """Give processes the benchmark's own priority (root may raise it)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, niceness)


def lead_session(pid: int) -> None:
    """Give the session `pid` leads the benchmark's priority. With the kernel's
    autogroups (/proc/sys/kernel/sched_autogroup_enabled) each session shares the CPU
    with the others as one group, whatever its processes' own niceness: the group's
    niceness is what counts against other jobs' sessions."""
    niceness = os.getpriority(os.PRIO_PROCESS, 0)
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as group:
        group.write(str(niceness))


def tree_cpu(root: int) -> float:
    """CPU-seconds of `root` and all its descendants now alive."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (found := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = found
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1] if pid in stats else 0.0
        todo.extend(children.get(pid, []))
    return total


class Server:
    """A server process started for a benchmark: ready when `path` answers 200,
    stopped with SIGTERM (its whole process group killed if it will not stop)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        port: int,
        env: dict[str, str] | None = None,
        path: str = "/",
        log: Path | None = None,
        backends: Callable[[], list[int]] | None = None,
    ) -> None:
        self.argv, self.port, self.path = list(argv), port, path
        self.backends = backends or list  # its database's processes, if any
        self.env = {**os.environ, **(env or {})}
        self.log = log or ROOT / "var" / f"bench-server-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[Any] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        lead_session(self.process.pid)
        self._wait_ready(deadline=time.monotonic() + 120)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self, deadline: float) -> None:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited: {self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", self.path)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{' '.join(self.argv)} did not answer: {self.log_tail()}")

    def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM, then the group's SIGKILL after `grace` seconds; the exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
        return self.process.returncode

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """Rate, request count, duration, failures and latency percentiles from wrk's text."""
    found = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None or rate is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    # wrk pads a one-letter unit ("   99%    1.43s ") with a trailing space
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    return {
        "requests": float(found.group(1)),
        "seconds": _ms(found.group(2) + found.group(3)) / 1000,
        "rate": float(rate.group(1)),
        "failures": float(sum(map(int, errors.groups())) if errors else 0)
        + float(non_2xx.group(1) if non_2xx else 0),
        "p50": _ms(latency["50"]) if "50" in latency else 0.0,
        "p99": _ms(latency["99"]) if "99" in latency else 0.0,
    }


def drive(
    server: Server,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 1,
    path: str | None = None,
    headers: Sequence[str] = (),
    script: Sequence[str] = (),
    output: list[str] | None = None,
) -> Run:
    """wrk against the server for `seconds` with `connections` keep-alive connections.
    `script`: a Lua script and its arguments (`wrk -s FILE URL -- ARGS`); wrk's text is
    appended to `output` when given (what the script printed)."""
    url = f"http://127.0.0.1:{server.port}{path or server.path}"
    argv = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    argv += ["--timeout", f"{TIMEOUT}s"]  # a slow answer on a busy machine is not a failure
    for header in headers:
        argv += ["-H", header]
    if script:
        argv += ["-s", script[0]]
    backends = server.backends()
    set_priority(backends, os.getpriority(os.PRIO_PROCESS, 0))
    machine, served, database = _machine_busy(), tree_cpu(server.pid), cpu_of(backends)
    tail = ["--", *script[1:]] if len(script) > 1 else []
    process = subprocess.Popen(
        [*argv, url, *tail],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lead_session(process.pid)
    assert process.stdout is not None
    text = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    served, machine = tree_cpu(server.pid) - served, _machine_busy() - machine
    after = cpu_of(server.backends())
    database_cpu = sum(cpu - database.get(pid, 0.0) for pid, cpu in after.items())
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{text}")
    if output is not None:
        output.append(text)
    figures = parse_wrk(text)
    return Run(
        rate=figures["rate"],
        requests=int(figures["requests"]),
        seconds=figures["seconds"],
        failures=int(figures["failures"]),
        p50_ms=figures["p50"],
        p99_ms=figures["p99"],
        server_cpu=served,
        loadgen_cpu=usage.ru_utime + usage.ru_stime,
        machine_cpu=machine,
        database_cpu=database_cpu,
    )


def check_port(port: int) -> None:
    """Refuse to start when something already listens on `port` (wrk would drive it)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken: pass --port")
