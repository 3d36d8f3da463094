"""WSGI entry point (gunicorn kzarchive.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzarchive.settings")
application = get_wsgi_application()
