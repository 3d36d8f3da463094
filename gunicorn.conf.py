"""gunicorn's settings for kzarchive, read by `gunicorn kzarchive.wsgi` run from the repository folder.

The request-line limit is set here, not left to gunicorn's default, so README can state it: a request
line (method, path and query string) longer than this is refused by gunicorn itself with its own
400 page before Django sees it. Query texts are cut at 500 characters by the search anyway
(articles/query_bounds.py), so 8,190 bytes leaves room for long filter lists.
"""

limit_request_line = 8190  # bytes; gunicorn's maximum (0 would mean unlimited)
limit_request_fields = 100
limit_request_field_size = 8190
