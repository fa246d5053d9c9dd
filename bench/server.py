"""A real server for the workloads, and a lean HTTP client to load it.

The server is gunicorn running `feedback:create_app()` with 2 sync workers, bound to
127.0.0.1 on a free port. The client speaks HTTP/1.1 over raw sockets with every request's
bytes prepared before the clock starts, so on a 2-core machine the load generator takes as
little CPU as possible from the server it measures. Sync workers close the connection after
each response; so does the client.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn 'feedback:create_app()' as a child process; stop() ends it (and only it).
    threads > 1 runs gthread workers (each serves that many requests at once)."""

    def __init__(self, database_url: str, workdir: Path, *, workers: int = 2, threads: int = 1):
        self.port = free_port()
        self.log = workdir / "gunicorn.log"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "FEEDBACK_REQUIRE_SERVICES")}
        env.update(DATABASE_URL=database_url, SECRET_KEY=os.urandom(16).hex(), PYTHONPATH=str(ROOT),
                   FEEDBACK_INSTANCE_PATH=str(workdir / "instance"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers),
             "--worker-class", "sync" if threads == 1 else "gthread", "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "300", "--error-logfile", str(self.log),
             "feedback:create_app()"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log}:\n"
                                   + self.log.read_text(errors="replace")[-2000:])
            try:
                if request(self.port, "GET", "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def cookies(self) -> dict[str, str]:
        out = {}
        for name, value in self.headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                out[key.strip()] = val.strip()
        return out

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def prepare(port: int, method: str, path: str, *, headers: dict | None = None, body: bytes | None = None,
            query: dict | None = None) -> bytes:
    """The request's bytes, ready to send."""
    if query:
        path = f"{path}?{urlencode(query)}"
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


def send(port: int, raw: bytes, *, timeout: float = 120) -> Response:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers):
        body = _dechunk(body)
    return Response(status, headers, body)


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2:]
    return b"".join(out)


def request(port: int, method: str, path: str, **kw) -> Response:
    timeout = kw.pop("timeout", 120)
    return send(port, prepare(port, method, path, **kw), timeout=timeout)


def login(port: int, username: str, password: str) -> str | None:
    """Sign in through the /login form (CSRF token included); the Cookie header value, or None
    when there is no login page or the sign-in fails."""
    page = request(port, "GET", "/login")
    if page.status != 200:
        return None
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.body) or \
        re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', page.body)
    jar = page.cookies()
    form = {"username": username, "password": password}
    if match:
        form["csrf_token"] = match.group(1).decode()
    answer = request(port, "POST", "/login", body=urlencode(form).encode(), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(jar)})
    if answer.status not in (302, 303):
        return None
    jar.update(answer.cookies())
    return _cookie_header(jar)


def _cookie_header(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, of the requests that completed
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    bodies: list[bytes] = field(default_factory=list)  # the first few, to check what came back
    capped: bool = False

    @property
    def count(self) -> int:
        return len(self.latencies)

    def ok(self, *codes: int) -> int:
        return sum(n for status, n in self.statuses.items() if status in (codes or (200,)))


def run_load(port: int, requests: list[bytes], *, concurrency: int, cap_seconds: float) -> LoadResult:
    """Send the prepared requests from `concurrency` threads, each taking the next one, until all
    are sent or cap_seconds have passed. Latency is time.perf_counter around each request."""
    result = LoadResult()
    lock = threading.Lock()
    next_index = itertools.count()
    started = time.perf_counter()
    deadline = started + cap_seconds

    def worker():
        while True:
            i = next(next_index)
            if i >= len(requests):
                return
            if time.perf_counter() > deadline:
                result.capped = True
                return
            t0 = time.perf_counter()
            response = send(port, requests[i])
            latency = time.perf_counter() - t0
            with lock:
                result.latencies.append(latency)
                result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
                if len(result.bodies) < 3 or response.status >= 400 and len(result.bodies) < 6:
                    result.bodies.append(response.body[:2000])

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc; 0 where unreadable).
    The machine may be shared, so CPU per request is the figure that does not depend on
    what else is running."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
