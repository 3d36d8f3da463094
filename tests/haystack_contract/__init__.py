"""django-haystack v3.4.0 test_haystack/whoosh_tests (BSD licence, see LICENSE), run against kzarchive's engine."""
