"""Shared bench plumbing: a fresh PostgreSQL database, the heatline command against it, gunicorn and a worker.

Loopback only; every process started here is stopped when the bench ends.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
PG = "postgres://postgres@127.0.0.1:5432/"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


def fresh_database(name: str) -> str:
    psql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
    psql(f'DROP DATABASE IF EXISTS "{name}"')
    psql(f'CREATE DATABASE "{name}"')
    return PG + name


def env_for(url: str, **extra: str) -> dict[str, str]:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="heatline.settings",
        DEBUG="true",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def heatline(url: str, *args: str, **extra: str) -> str:
    result = subprocess.run(
        [PYTHON, "-m", "heatline.cli", *args],
        cwd=ROOT,
        env=env_for(url, **extra),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"heatline {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def token_for(url: str, username: str) -> str:
    return heatline(url, "apitoken", username).strip().splitlines()[-1].split()[-1]


@contextmanager
def gunicorn(url: str, *, workers: int = 2, threads: int = 0, **extra: str) -> Iterator[str]:
    """gunicorn on a free port: sync workers, or with `threads` gthread workers (what `heatline serve` runs)."""
    port = free_port()
    app = ["heatline.wsgi", "-k", "gthread", "--threads", str(threads)] if threads else ["heatline.wsgi"]
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            *app,
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env_for(url, **extra),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except Exception:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def start_worker(url: str, **extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-m", "heatline.cli", "worker", "--idle", "0.2"], cwd=ROOT, env=env_for(url, **extra)
    )


def http(
    method: str, url: str, *, token: str | None = None, body: Any = None, timeout: float = 30
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw.decode(errors="replace")[:300]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]
