"""Drive an HTTP load with ``wrk`` (Debian package ``wrk``) posting pre-built SOAP bodies.

``wrk`` is a C event loop: on the two-core development machine it needs a few percent of one core
where a Python client needs as much CPU as the server it measures. The bodies are written to a
temporary directory; a generated Lua script loads them, posts them round robin, counts answers
that are not HTTP 200 or that contain a refusal marker, and prints one ``RESULT`` line that
:func:`run_wrk` parses. Latency percentiles are wrk's own (HdrHistogram, microsecond resolution).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = """
local dir, count, path, refusal = %(dir)s, %(count)d, %(path)s, %(refusal)s
local bodies = {}
for n = 0, count - 1 do
  local f = assert(io.open(dir .. "/" .. n .. ".xml", "rb"))
  bodies[n + 1] = f:read("*a")
  f:close()
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  position = 0
  bad = 0
end
function request()
  position = position %% count + 1
  return wrk.format("POST", path, {["Content-Type"] = "text/xml; charset=utf-8"}, bodies[position])
end
function response(status, headers, body)
  if status ~= 200 or (refusal ~= "" and string.find(body, refusal, 1, true)) then bad = bad + 1 end
end
function done(summary, latency, requests)
  local rejected = 0
  for _, thread in ipairs(threads) do rejected = rejected + thread:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT requests=%%d seconds=%%f p50=%%f p90=%%f p99=%%f max=%%f bad=%%d errors=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, rejected,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""

_RESULT = re.compile(r"RESULT (.*)")


@dataclass(frozen=True, kw_only=True)
class WrkOutcome:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    bad: int
    """Answers that were not HTTP 200 or held the refusal marker."""
    errors: int
    """Socket errors and timeouts."""
    client_cpu_seconds: float
    """CPU time wrk itself used (user + system)."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    path: str,
    bodies: list[bytes],
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    refusal: str = "",
    timeout_seconds: int = 10,
) -> WrkOutcome:
    """Post ``bodies`` to ``url + path`` for ``seconds`` over ``connections`` keep-alive connections."""
    with tempfile.TemporaryDirectory(prefix="wrk-bodies-") as directory:
        for index, body in enumerate(bodies):
            Path(directory, f"{index}.xml").write_bytes(body)
        script = Path(directory, "post.lua")
        script.write_text(LUA % {"dir": _lua_string(directory), "count": len(bodies), "path": _lua_string(path),
                                 "refusal": _lua_string(refusal)})  # fmt: skip
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                   f"--timeout={timeout_seconds}s", "-s", str(script), url]  # fmt: skip
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        finished = subprocess.run(command, capture_output=True, text=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = _RESULT.search(finished.stdout)
    if found is None:
        raise RuntimeError(f"wrk printed no result: {finished.stdout[-2000:]} {finished.stderr[-2000:]}")
    values = dict(pair.split("=") for pair in found.group(1).split())
    return WrkOutcome(
        requests=int(values["requests"]),
        seconds=float(values["seconds"]),
        p50_ms=float(values["p50"]),
        p90_ms=float(values["p90"]),
        p99_ms=float(values["p99"]),
        max_ms=float(values["max"]),
        bad=int(values["bad"]),
        errors=int(values["errors"]),
        client_cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (Linux ``/proc``), those that exited
    included: a gunicorn worker recycled after ``max_requests`` leaves its CPU in the master's
    ``cutime``/``cstime`` once reaped (live children are not in them, so nothing counts twice)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(value) for value in fields[11:15]) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def postgres_cpu_seconds(database: str | None = None) -> float:
    """CPU seconds of every PostgreSQL process on this host (other databases' work included), or with
    ``database`` of the backends connected to that database only (whoever their client)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
            title = (entry / "cmdline").read_bytes().decode(errors="replace") if database else ""
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if database and f" {database} " not in title:  # "postgres: 15/main: postgres <database> 127.0.0.1(…) idle"
            continue
        if name.startswith("postgres"):
            fields = rest.split()
            # host-wide, the postmaster's reaped children count too: the backends of connections that
            # closed (a recycled gunicorn worker's); a database's backends are only those still there
            total += sum(int(value) for value in fields[11 : 13 if database else 15]) / ticks
    return total
