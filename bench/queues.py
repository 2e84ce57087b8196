"""Bench of the lists that must stay fast with many requests stored (issue 3): the overdue list
(GET /api/v1/requests?overdue=true, company-wide operator) and a district's work queue (GET /api/v1/queue),
each p95 ≤ 100 ms with 1,000,000 requests, on PostgreSQL behind gunicorn (2 workers).

    .venv/bin/python bench/queues.py [--requests 1000000] [--open-share 3] [-n 200] [-c 1]

Uses the `hlbench_requests` database of bench/intake.py (built first when missing). Rows are generated
in bulk SQL (generate_series), in batches, idempotently: run again, only the missing rows are added.
Loopback only. Prints progress and one JSON line of medians.
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._harness import gunicorn, log, psql, token_for
from bench.intake import DB, load, prepare

BATCH = 100_000

INSERT_REQUESTS = """
WITH h AS (
    SELECT hh.id, hh.address, hh.building_id, b.district_id, d.responsible_id,
           row_number() OVER (ORDER BY hh.id) - 1 AS k
    FROM registry_household hh
    JOIN registry_building b ON b.id = hh.building_id
    JOIN registry_district d ON d.id = b.district_id
    WHERE hh.id IN (SELECT id FROM registry_household ORDER BY id LIMIT 20000)
), cats AS (SELECT array_agg(id ORDER BY id) AS ids FROM requests_category)
INSERT INTO requests_servicerequest (
    number, source, external_id, nature, kind, category_id, status, round, caller_name, phone, address,
    content, received_at, registered_at, dispatched_at, closed_at, next_due_at, is_late_intake,
    is_resolved_at_intake, wants_callback, result, satisfaction, repeat_count, is_excluded, excluded_reason,
    version, updated_at, assignee_id, household_id, building_id, district_id
)
SELECT
    'RB' || lpad(g::text, 12, '0'), '963000', NULL, 'help',
    CASE WHEN g % 10 = 0 THEN 'emergency' ELSE 'routine' END,
    cats.ids[1 + g % array_length(cats.ids, 1)],
    CASE WHEN g % 100 < {open_share}
         THEN (ARRAY['dispatched', 'contacted', 'on_site', 'completed', 'reported'])[1 + (g / 100) % 5]
         ELSE 'closed' END,
    1, '李四', '139' || lpad((g % 100000000)::text, 8, '0'), h.address, '暖气不热,客厅16度',
    t.at, t.at, t.at,
    CASE WHEN g % 100 < {open_share} THEN NULL ELSE t.at + interval '1 day' END,
    CASE WHEN g % 100 < {open_share} THEN now() + ((g % 2000) - 1000) * interval '1 minute' END,
    false, false, true, '', '', 0, false, '', 1, now(), h.responsible_id, h.id, h.building_id, h.district_id
FROM generate_series({start}, {stop}) AS g
CROSS JOIN cats
JOIN h ON h.k = g % (SELECT count(*) FROM h)
CROSS JOIN LATERAL (
    SELECT now() - (g % 180) * interval '1 day' - (g % 1440) * interval '1 minute' AS at
) AS t
ON CONFLICT DO NOTHING
"""

INSERT_CLOCKS = """
INSERT INTO requests_clock (service_request_id, name, round, started_at, due_at, warn_at, warned_at, met_at,
                            breached_at, cancelled_at, extended_count)
SELECT r.id, 'repair', 1, r.received_at, r.next_due_at, r.next_due_at - interval '10 minutes',
       CASE WHEN r.next_due_at < now() THEN r.next_due_at END, NULL,
       CASE WHEN r.next_due_at < now() THEN r.next_due_at END, NULL, 0
FROM requests_servicerequest r
WHERE r.number LIKE 'RB%' AND r.next_due_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM requests_clock c WHERE c.service_request_id = r.id)
"""


def generate(total: int, open_share: int) -> None:
    have = int(
        psql(
            "SELECT coalesce(max(substr(number, 3)::bigint), 0) FROM requests_servicerequest WHERE number LIKE 'RB%'",
            DB,
        )
    )
    started = time.perf_counter()
    for start in range(have + 1, total + 1, BATCH):
        stop = min(start + BATCH - 1, total)
        psql(INSERT_REQUESTS.format(start=start, stop=stop, open_share=open_share), DB)
        log(f"requests {stop:,}/{total:,} ({time.perf_counter() - started:.0f} s)")
    psql(INSERT_CLOCKS, DB)
    psql("VACUUM ANALYZE requests_servicerequest", DB)
    psql("VACUUM ANALYZE requests_clock", DB)
    log(f"generated in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--open-share", type=int, default=3, help="percent of requests still open")
    parser.add_argument("--households", type=int, default=200_000, help="when the database must be built")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("-c", type=int, default=1)
    options = parser.parse_args()

    url = prepare(options.households, reuse=True)
    generate(options.requests, options.open_share)
    stored = int(psql("SELECT count(*) FROM requests_servicerequest", DB))
    open_requests = int(psql("SELECT count(*) FROM requests_servicerequest WHERE status <> 'closed'", DB))
    operator, district = token_for(url, "operator"), token_for(url, "district")
    results: dict[str, object] = {"bench": "queues", "requests": stored, "open": open_requests}
    with gunicorn(url, workers=2) as base:
        api = base + "/api/v1"
        for name, path, token in (
            ("overdue_list", "/requests?overdue=true", operator),
            ("overdue_list_district", "/requests?overdue=true", district),
            ("work_queue_district", "/queue", district),
            ("callbacks_due", "/callbacks", operator),
            ("list_first_page", "/requests?status=open", operator),
        ):
            load(api + path, token=token, n=10, c=1)
            figures = load(api + path, token=token, n=options.n, c=options.c)
            log(f"{name:22s} {figures}")
            assert figures["errors"] == 0, figures
            results[name] = {k: figures[k] for k in ("p50_ms", "p95_ms", "rate")}
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
