"""What the HTTP benchmarks share: a free port, ``kontingent serve`` started and awaited, percentiles."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    url: str, workers: int, log_path: Path | None = None, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """``kontingent serve`` on a free port (output to ``log_path``, else discarded), with ``env`` added to
    the environment; the process and its port once ``/health`` answers 200."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("kontingent")), "serve", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers)]  # fmt: skip
    environment = {**os.environ, "KONTINGENT_DATABASE_URL": url, **(env or {})}
    if log_path is None:
        process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
                if answer.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by rank; 0.0 for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0
