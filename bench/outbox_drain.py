"""Bench of the outbox draining to the 12345 platform: M queued `request.moved` messages of 12345
requests, delivered signed by `heatline worker` to a local webhook (a tiny http.server on 127.0.0.1).
Measures the time from the worker's start until no message is left undelivered.

    .venv/bin/python bench/outbox_drain.py [-m 10000] [--workers 1] [--rounds 1] [--timeout 600]

Database `hlbench_outbox_drain`, recreated each round. Prints progress and a JSON line of medians.
"""

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import fresh_database, heatline, log, psql, start_worker

DB = "hlbench_outbox_drain"
QUEUE = """
from django.utils import timezone
from heatline.outbox.models import Outbox
now = timezone.now()
rows = [Outbox(topic="request.moved", key=f"RX{i:013d}", created_at=now, available_at=now, payload={
    "number": f"RX{i:013d}", "source": "12345", "external_id": f"GD{i:010d}", "action": "dispatch",
    "from": "registered", "to": "dispatched", "round": 1, "result": "", "satisfaction": ""})
    for i in range(COUNT)]
Outbox.objects.bulk_create(rows, batch_size=2000)
print(Outbox.objects.filter(delivered_at=None).count())
"""


class Hits:
    count = 0
    lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Hits.lock:
            Hits.count += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def one_round(*, messages: int, workers: int, timeout: float) -> float:
    url = fresh_database(DB)
    heatline(url, "migrate", "-v0")
    queued = heatline(url, "shell", "-c", QUEUE.replace("COUNT", str(messages))).strip().splitlines()[-1]
    log(f"queued {queued} messages")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    Hits.count = 0
    started = time.perf_counter()
    processes = [start_worker(url, HEATLINE_EXCHANGE_WEBHOOK_URL=hook) for _ in range(workers)]
    try:
        while True:
            left = int(psql("SELECT count(*) FROM outbox_outbox WHERE delivered_at IS NULL", DB))
            elapsed = time.perf_counter() - started
            if left == 0 or elapsed > timeout:
                break
            log(f"{left:,} left, {Hits.count:,} received, {elapsed:.0f} s")
            time.sleep(2)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        server.shutdown()
        server.server_close()
    if left:
        raise RuntimeError(f"{left} messages left after {timeout} s")
    log(f"drained {messages:,} in {elapsed:.1f} s ({Hits.count:,} webhook hits)")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-m", "--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    options = parser.parse_args()
    seconds = [
        one_round(messages=options.messages, workers=options.workers, timeout=options.timeout)
        for _ in range(options.rounds)
    ]
    median = statistics.median(seconds)
    print(
        json.dumps(
            {
                "bench": "outbox_drain_12345_webhook",
                "messages": options.messages,
                "workers": options.workers,
                "rounds": options.rounds,
                "median_seconds": round(median, 1),
                "median_messages_per_s": round(options.messages / median, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
