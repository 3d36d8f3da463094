"""gunicorn's settings for kzarchive, read by `gunicorn kzarchive.wsgi` run from the repository folder.

Request lines: gunicorn's limit is set to its maximum, 8,190 bytes (it takes no higher value; 0 would mean
unlimited). The archive's own limit, settings.REQUEST_LINE_LIMIT (6,144 bytes), is lower, so a line between
the two reaches Django and gets the archive's 414 (JSON under /api/, articles.middleware). Past 8,190 bytes
gunicorn refuses the line itself with its own HTML 414 before Django runs; that answer cannot be JSON.
Query texts are cut at 500 characters by the search anyway (articles/query_bounds.py).
"""

limit_request_line = 8190  # bytes; gunicorn's maximum (0 would mean unlimited)
limit_request_fields = 100
limit_request_field_size = 8190
