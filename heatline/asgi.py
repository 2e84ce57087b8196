"""ASGI entry point, for an ASGI server (e.g. `uvicorn heatline.asgi:application`, installed separately).

`heatline serve` runs WSGI (gunicorn, gthread workers), which answers pages 3.5× faster here; under ASGI the
live streams (`/live/stream/`) are coroutines instead of threads, for sites with thousands of open screens.
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
