"""Bench of one clock sweep (issue 3): with the requests of bench/queues.py stored (1,000,000 by
default), 10,000 clocks fall due at once; how long does the worker's `clocks_sweep` job take to record
all of them — each breach once, with its message and the supervisors' notices (target ≤ 2 s)?

    .venv/bin/python bench/sweep.py [--due 10000] [--runs 3] [--batch 500]

Runs the job in this process against the `hlbench_requests` database (built by bench/intake.py and
bench/queues.py; run those first). Each run adds 10,000 fresh clocks due one minute ago on open requests.
Loopback only. Prints progress and one JSON line of medians.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import PG, log, psql
from bench.intake import DB

ADD_DUE_CLOCKS = """
INSERT INTO requests_clock (service_request_id, name, round, started_at, due_at, warn_at, warned_at, met_at,
                            breached_at, cancelled_at, extended_count)
SELECT r.id, 'callback', {round}, now() - interval '1 day', now() - interval '1 minute',
       now() - interval '5 hours', now() - interval '5 hours', NULL, NULL, NULL, 0
FROM requests_servicerequest r
WHERE r.status <> 'closed'
ORDER BY r.id
LIMIT {due}
ON CONFLICT DO NOTHING
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    options = parser.parse_args()
    os.environ.update(DATABASE_URL=PG + DB, DJANGO_SETTINGS_MODULE="heatline.settings", DEBUG="false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("HEATLINE_EXCHANGE_SECRET", "bench-only-exchange-secret")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from heatline.requests.jobs import clocks_sweep

    requests = int(psql("SELECT count(*) FROM requests_servicerequest", DB))
    open_requests = int(psql("SELECT count(*) FROM requests_servicerequest WHERE status <> 'closed'", DB))
    if open_requests < options.due:
        raise SystemExit(f"only {open_requests:,} open requests: run bench/queues.py with more --requests")
    clocks = int(psql("SELECT count(*) FROM requests_clock", DB))
    log(f"{requests:,} requests ({open_requests:,} open), {clocks:,} clocks")
    # the backlog of older breaches is recorded first, so that each run measures only the new ones
    while clocks_sweep(now=timezone.now(), batch=options.batch):
        pass
    durations: list[float] = []
    for run in range(options.runs):
        round_number = 100 + int(time.time()) % 10_000 + run
        psql(ADD_DUE_CLOCKS.format(round=round_number, due=options.due), DB)
        made = int(psql(f"SELECT count(*) FROM requests_clock WHERE round = {round_number}", DB))
        psql("ANALYZE requests_clock", DB)
        connection.close()
        started = time.perf_counter()
        handled = batches = 0
        while True:
            count = clocks_sweep(now=timezone.now(), batch=options.batch)
            if not count:
                break
            handled += count
            batches += 1
        seconds = time.perf_counter() - started
        durations.append(seconds)
        breached = int(
            psql(
                f"SELECT count(*) FROM requests_clock WHERE round = {round_number} AND breached_at IS NOT NULL",
                DB,
            )
        )
        messages = int(
            psql(
                "SELECT count(*) FROM outbox_outbox o JOIN requests_clock c ON o.dedupe_key = 'breach:' || c.id "
                f"WHERE c.round = {round_number}",
                DB,
            )
        )
        # The sweep also records clocks of the stored requests that fall due on their own while it runs:
        # the check counts what this run made due, each breached once with its one message.
        others = handled - breached
        log(
            f"run {run + 1}: {made:,} clocks made due, {breached:,} breached with {messages:,} messages "
            f"(+{others:,} that fell due on their own) in {batches} batches, {seconds:.2f} s"
        )
        assert made == breached == messages, (made, breached, messages)
        assert handled >= breached, (handled, breached)
    print(
        json.dumps(
            {
                "bench": "sweep",
                "requests": requests,
                "due": options.due,
                "made_due": made,
                "batch": options.batch,
                "seconds_median": round(statistics.median(durations), 2),
                "seconds": [round(d, 2) for d in durations],
            }
        )
    )


if __name__ == "__main__":
    main()
