"""ASGI entry point: `gunicorn heatline.asgi -k uvicorn_worker.UvicornWorker` (what `heatline serve` runs).

The pages are the same Django views as under WSGI; the ASGI server also holds the live streams
(`/live/stream/`) as coroutines, so hundreds of open browsers cost one process little.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
application = get_asgi_application()
