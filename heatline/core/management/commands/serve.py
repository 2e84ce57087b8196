"""`heatline serve`: the web UI (gunicorn, gthread workers: each open live stream holds a thread) and the
background worker together, for the demo and small sites."""

import os
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页与后台任务 / Start the web server (gunicorn) and the worker; Ctrl-C stops both."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HEATLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HEATLINE_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("HEATLINE_WEB_THREADS", "128")),
            help="threads per worker: pages and open live streams (one each) together",
        )
        parser.add_argument("--no-worker", action="store_true", help="web only")

    def handle(self, *args: Any, **options: Any) -> None:
        bind = f"{options['host']}:{options['port']}"
        python = sys.executable
        children: list[subprocess.Popen[bytes]] = []
        worker_command = [python, "-m", "heatline.cli", "worker"]
        web = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "heatline.wsgi",
                "-k",
                "gthread",
                "--threads",
                str(options["threads"]),
                "-b",
                bind,
                "-w",
                str(options["workers"]),
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "10",
                "--timeout",
                "60",
            ]
        )
        children.append(web)
        if not options["no_worker"]:
            children.append(subprocess.Popen(worker_command))
        self.stdout.write(
            self.style.SUCCESS(
                f"\nHeatline: http://{bind}/  — sign in as operator / heatline-demo (see README)\n"
            )
        )

        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            # The web server's end is the end; a worker that dies is restarted (its jobs are idempotent).
            while web.poll() is None:
                time.sleep(0.5)
                if len(children) > 1 and children[1].poll() is not None and not stopping:
                    self.stderr.write("worker exited; restarting it in 5 s")
                    time.sleep(5)
                    children[1] = subprocess.Popen(worker_command)
        finally:
            stop(signal.SIGTERM, None)
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
