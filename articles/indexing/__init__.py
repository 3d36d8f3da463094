"""Keeping the search index in step with the database: the one room for it.

- entries.py: an article's index entry, written (`reindex_articles`, `bulk_session`) and fingerprinted
  (`content_hash`);
- outbox.py: index updates recorded in the writing transaction, applied after the commit, retried;
- check.py: drift between database and index found (`check_index`) and repaired (`repair_index`).

articles/signals.py connects model signals to the outbox; the overridden `update_index` and
`rebuild_index` commands (articles/management/commands/) run their bulk sessions.
"""
