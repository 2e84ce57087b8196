"""WSGI entry point for gunicorn: `gunicorn heatline.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heatline.settings")
application = get_wsgi_application()
