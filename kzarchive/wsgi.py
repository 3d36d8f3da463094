"""WSGI entry point (gunicorn kzarchive.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzarchive.settings")
application = get_wsgi_application()

# Each worker fills the search caches before it serves (KZARCHIVE_WARM_UP=0 turns this off).
if os.environ.get("KZARCHIVE_WARM_UP", "1") != "0":
    from articles.search import warm_up

    warm_up()
