"""Surge and faults (issue 9): 20 concurrent clients for 60 s against gunicorn + PostgreSQL.

Operators register calls; a platform pushes 12345 orders, each twice (a re-push must not duplicate).
During the run the worker is killed with SIGKILL and restarted, and (with --restart-postgres)
PostgreSQL is restarted. Afterwards: zero 500s, 503s only while the database was down, no request lost
or duplicated, every stored request whole (its intake clock and register event), every breach recorded
once, and the platform webhook received no message twice.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 20] [--restart-postgres]

Loopback only, bounded in time; stops everything it started.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    free_port,
    fresh_database,
    gunicorn,
    heatline,
    http,
    log,
    percentile,
    psql,
    start_worker,
    token_for,
)

RECOVERY_SECONDS = 10


class Webhook(BaseHTTPRequestHandler):
    """The platform's webhook: records every message id it receives."""

    received: Counter[int] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            message_id = int(json.loads(body).get("message_id", 0))
        except ValueError:
            message_id = -1
        with self.lock:
            self.received[message_id] += 1
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--platform-clients", type=int, default=6)
    parser.add_argument("--households", type=int, default=2000)
    parser.add_argument(
        "--restart-postgres",
        action="store_true",
        help="restart PostgreSQL mid-run (affects the whole machine)",
    )
    parser.add_argument("--database", default="hlbench_soak")
    args = parser.parse_args()

    hook_port = free_port()
    hook = ThreadingHTTPServer(("127.0.0.1", hook_port), Webhook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    extra = {"HEATLINE_EXCHANGE_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}/hook", "CONN_MAX_AGE": "0"}

    log(f"fresh database {args.database}")
    url = fresh_database(args.database)
    heatline(url, "migrate", "-v0")
    heatline(url, "demo", "--size", str(args.households), "--no-history")
    accounts = psql("SELECT account_number FROM registry_household ORDER BY id", args.database).split()
    operator_token, platform_token = token_for(url, "operator"), token_for(url, "operator2")
    log(f"{len(accounts)} households, tokens ready")

    results: list[tuple[float, int, float, str, str]] = []  # (t, status, seconds, number, external_id)
    lock = threading.Lock()
    start = time.monotonic()
    stop_at = start + args.seconds
    db_down: list[tuple[float, float]] = []

    with gunicorn(url, workers=2, **extra) as base:
        worker = start_worker(url, **extra)

        def client(index: int) -> None:
            platform = index < args.platform_clients
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                account = accounts[(index * 7919 + n * 104729) % len(accounts)]
                body = {
                    "source": "12345" if platform else "963000",
                    "phone": f"139{index:02d}{n:06d}"[:11],
                    "caller_name": "压测",
                    "household": account,
                    "content": "暖气不热,客厅16度" if n % 10 else "卫生间暖气片跑水了",
                }
                pushes = 1
                if platform:
                    body["external_id"] = f"SOAK-{index}-{n}"
                    pushes = 2  # the platform pushes every order twice
                for _ in range(pushes):
                    t0 = time.monotonic()
                    try:
                        status, answer = http(
                            "POST",
                            base + "/api/v1/requests",
                            token=platform_token if platform else operator_token,
                            body=body,
                            timeout=30,
                        )
                    except Exception:
                        status, answer = 0, None
                    number = answer.get("number", "") if isinstance(answer, dict) else ""
                    with lock:
                        results.append(
                            (t0 - start, status, time.monotonic() - t0, number, body.get("external_id", ""))
                        )

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(args.seconds * 0.3)
        log("kill -9 the worker")
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        time.sleep(2)
        log("restart the worker")
        worker = start_worker(url, **extra)
        if args.restart_postgres:
            time.sleep(args.seconds * 0.2)
            cluster = sorted(os.listdir("/etc/postgresql"))[-1]
            log("restart PostgreSQL")
            t_down = time.monotonic() - start
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True
            )
            db_down.append((t_down, time.monotonic() - start))
            log("PostgreSQL is back")
        for thread in threads:
            thread.join()
        log("load finished; letting the worker drain the outbox")
        for _ in range(120):
            pending = int(
                psql(
                    "SELECT count(*) FROM outbox_outbox WHERE delivered_at IS NULL AND failed_at IS NULL AND available_at <= now()",
                    args.database,
                )
            )
            if pending == 0:
                break
            time.sleep(1)
        time.sleep(2)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    hook.shutdown()

    codes = Counter(status for _t, status, _s, _n, _e in results)
    ok = [r for r in results if r[1] in (200, 201)]

    # 503 is the clear answer for a request that overlapped the restart, and for the seconds PostgreSQL takes to accept connections again.
    def in_window(started: float, took: float) -> bool:
        return any(started <= b + RECOVERY_SECONDS and started + took >= a for a, b in db_down)

    server_errors = [r for r in results if r[1] >= 500 and not (r[1] == 503 and in_window(r[0], r[2]))]
    recovered_after = None
    if db_down:
        back = db_down[0][1]
        after = sorted(r[0] + r[2] for r in ok if r[0] >= back)
        recovered_after = round(after[0] - back, 1) if after else None
    unclear = [r for r in results if r[1] == 0 and not in_window(r[0], r[2])]
    numbers = {r[3] for r in ok}
    stored = set(psql("SELECT number FROM requests_servicerequest", args.database).split())
    lost = numbers - stored
    by_external: dict[str, set[str]] = {}
    for r in ok:
        if r[4]:
            by_external.setdefault(r[4], set()).add(r[3])
    split_orders = {k: v for k, v in by_external.items() if len(v) > 1}
    duplicate_rows = int(
        psql(
            "SELECT count(*) - count(DISTINCT (source, external_id)) FROM requests_servicerequest WHERE external_id IS NOT NULL",
            args.database,
        )
    )
    half_written = int(psql(
        "SELECT count(*) FROM requests_servicerequest r WHERE NOT EXISTS (SELECT 1 FROM requests_clock c WHERE c.service_request_id = r.id AND c.name = 'intake') "
        "OR NOT EXISTS (SELECT 1 FROM requests_requestevent e WHERE e.service_request_id = r.id AND e.action = 'register')", args.database))  # fmt: skip
    breaches_twice = int(
        psql(
            "SELECT count(*) FROM (SELECT dedupe_key FROM outbox_outbox WHERE topic = 'clock.breached' GROUP BY dedupe_key HAVING count(*) > 1) x",
            args.database,
        )
    )
    sent_twice = sum(1 for count in Webhook.received.values() if count > 1)
    latencies = [r[2] for r in ok]
    report = {
        "seconds": args.seconds, "clients": args.clients, "requests": len(results), "accepted": len(ok),
        "throughput_per_s": round(len(results) / args.seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1), "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "codes": dict(codes), "server_errors_outside_db_restart": len(server_errors), "connection_errors": len(unclear),
        "lost": len(lost), "orders_split_into_two_requests": len(split_orders), "duplicate_external_rows": duplicate_rows,
        "half_written_requests": half_written, "breaches_recorded_twice": breaches_twice,
        "webhook_messages": len(Webhook.received), "webhook_messages_received_twice": sent_twice,
        "postgres_restarted": bool(db_down), "first_success_after_restart_s": recovered_after,
        "status_500": codes.get(500, 0),
    }  # fmt: skip
    print(json.dumps(report, ensure_ascii=False))
    failed = (
        server_errors or unclear or lost or split_orders or duplicate_rows or half_written or breaches_twice
    )
    log("FAILED" if failed else "all invariants held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
