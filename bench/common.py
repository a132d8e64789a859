"""Pieces every benchmark shares: timing, percentiles, memory, servers and databases."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


# -- timing -----------------------------------------------------------------------------------


def rates(
    ours: Callable,
    ours_inputs: Sequence,
    raw: Callable,
    raw_inputs: Sequence,
    repeats: int = 3,
    *,
    budget: float = 1.0,
    most: int = 15,
) -> tuple[float, float]:
    """Calls per second of ``ours`` and ``raw``, each the best of its passes over its inputs,
    the passes alternating so that both see the same machine (it is shared). At least
    ``repeats`` passes each, more while they take less than ``budget`` seconds in all (up to
    ``most``): a pass of fast lookups lasts milliseconds, and the more of them, the likelier
    each side has one that no other work on the machine interrupted."""
    for value in ours_inputs:  # a full pass of each first: caches, code paths, statements
        ours(value)
    for value in raw_inputs:
        raw(value)
    best = [float("inf"), float("inf")]
    passes, spent = 0, 0.0
    while passes < repeats or (passes < most and spent < budget):
        for slot, (function, inputs) in enumerate(((ours, ours_inputs), (raw, raw_inputs))):
            started = time.perf_counter()
            for value in inputs:
                function(value)
            seconds = time.perf_counter() - started
            best[slot] = min(best[slot], seconds)
            spent += seconds
        passes += 1
    return len(ours_inputs) / best[0], len(raw_inputs) / best[1]


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Stopwatch:
    """``with Stopwatch() as sw: ...``; ``sw.seconds`` afterwards."""

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started


# -- memory -----------------------------------------------------------------------------------


def proc_status(pid: int, field: str) -> int | None:
    """A ``/proc/<pid>/status`` size field (VmHWM: peak resident set) in bytes."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def peak_rss(pid: int) -> int | None:
    return proc_status(pid, "VmHWM")


def cpu_seconds(pids) -> float:
    """User and system CPU time of processes (Linux; a process gone counts nothing)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def postgres_server_pids() -> list[int]:
    """The processes of a PostgreSQL server on this machine (its backends are named
    ``postgres: ...``); none when it runs elsewhere."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{name}/cmdline", "rb") as handle:
                if handle.read().startswith(b"postgres"):
                    found.append(int(name))
    return found


def children(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (Linux)."""
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    return found


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    import requests

    deadline = time.time() + timeout
    while True:
        try:
            if requests.get(url, timeout=5).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.time() > deadline or (process is not None and process.poll() is not None):
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(database_url: str, workers: int = 2, env: dict | None = None) -> Iterator[tuple]:
    """The app under gunicorn with the project's gunicorn.conf.py; yields (base url, process)."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REGISTER_RATELIMIT_ENABLED": "false",
        "REGISTER_ACCESS_LOG": "/dev/null",
        "REGISTER_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
            "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", "register:create_app()",
        ],
        cwd=ROOT,
        env=environment,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", server)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


class _Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint behind a proxy would

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port_queue) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def start_receiver():
    """A fast webhook receiver (204 to every POST) in its own process; (process, url)."""
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{queue.get(timeout=10)}/webhook"


# -- databases --------------------------------------------------------------------------------


def pg_dsn(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq connection string for psycopg."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def pg_admin():
    import psycopg

    return psycopg.connect(pg_dsn(PG_ADMIN_URL), autocommit=True)


def pg_exists(name: str) -> bool:
    with pg_admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()


def pg_drop(name: str) -> None:
    assert name.startswith("bench_"), name  # never anything but our own databases
    with pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_create(name: str, template: str | None = None) -> None:
    assert name.startswith("bench_"), name
    pg_drop(name)
    with pg_admin() as conn:
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')


def pg_available() -> bool:
    try:
        with pg_admin():
            return True
    except Exception:
        return False


def dialect_of(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else "SQLite"


# -- results ----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One line of the table: a figure beside its baseline, measured in the same run."""

    database: str
    benchmark: str
    figure: str  # what was measured, with its unit ("lookups/s")
    ours: float | None
    baseline: float | None
    baseline_name: str
    target: float | None = None  # the ratio ours/baseline to reach (None: information)
    note: str = ""
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        if self.ours is None or not self.baseline:
            return None
        if self.higher_is_better:
            return self.ours / self.baseline
        return self.baseline / self.ours if self.ours else None

    @property
    def met(self) -> str:
        if self.target is None or self.ratio is None:
            return ""
        return "yes" if self.ratio >= self.target else "**no**"


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def table(figures: list[Figure]) -> str:
    lines = [
        "| database | benchmark | figure | ours | baseline | baseline is | ratio | target "
        "| met | notes |",
        "|---|---|---|--:|--:|---|--:|--:|---|---|",
    ]
    for f in figures:
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}"
        target = "" if f.target is None else f"≥ {f.target:g}"
        lines.append(
            f"| {f.database} | {f.benchmark} | {f.figure} | {number(f.ours)} "
            f"| {number(f.baseline)} | {f.baseline_name} | {ratio} | {target} | {f.met} "
            f"| {f.note} |"
        )
    return "\n".join(lines)


def python_speed() -> float:
    """Seconds for a fixed piece of pure-Python work (ten million additions) on one core:
    the machine's speed at that moment. Ratios compare across days; absolute figures and
    the total time move with this (the machine is shared and its speed moves within an
    hour)."""
    started = time.perf_counter()
    total = 0
    for number in range(10_000_000):
        total += number
    return time.perf_counter() - started


def machine() -> dict[str, str]:
    import sqlite3

    info = {"cores": str(os.cpu_count())}
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as handle:
            total = int(handle.readline().split()[1])
            info["memory"] = f"{total / 1024 / 1024:.1f} GiB"
    info["python"] = sys.version.split()[0]
    info["sqlite"] = sqlite3.sqlite_version
    with contextlib.suppress(Exception), pg_admin() as conn:
        info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    return info
