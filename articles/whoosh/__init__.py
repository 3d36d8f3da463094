"""kzarchive's Whoosh engine for haystack, in parts (ENGINE "articles.whoosh.backend.ArchiveWhooshEngine").

- analysis.py: how text becomes index terms (index, queries, highlighting);
- parsing.py: the query language's parser;
- backend.py: the haystack backend (schema, index lifecycle), its query class and engine;
- writing.py: the write lock, saves, bulk sessions; multiproc.py: the worker-process writer;
  merges.py: the merge policy;
- reading.py: the long-lived searcher, per-segment caches, the one-pass collection; facets.py: facet counts;
- scoring.py: Whoosh's BM25F with field lengths read once per segment; skipping.py: Whoosh's block skipping
  made safe for deleted documents and phrases; phrases.py: exact phrases matched on sets of positions;
- searching.py: search, more-like-this, highlighting and spelling suggestions as haystack asks for them;
- snapshot.py: searchers that hold one whole index generation open.
"""
