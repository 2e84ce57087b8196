"""ASGI entry point: `gunicorn heatline.asgi -k uvicorn_worker.UvicornWorker` (what `heatline serve` runs).

The pages are the same Django views as under WSGI; the ASGI server also holds the live streams
(`/live/stream/`) as coroutines, so hundreds of open browsers cost one process little.
"""

import os
import warnings

from django.core.asgi import get_asgi_application

# WhiteNoise's file responses are synchronous iterators, which Django reads whole under ASGI (small vendored
# static files: harmless) and warns about on every one (evansd/whitenoise#359). The live stream is async.
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
# Under ASGI every request runs its sync code in a thread of its own, so a persistent connection would never
# be reused and would linger after its thread: connect per request (Django's advice for ASGI).
os.environ.setdefault("CONN_MAX_AGE", "0")
application = get_asgi_application()
