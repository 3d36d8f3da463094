"""Names across spellings and scripts: variant keys, the entity (alias) table, mentions, entity pages.

- `variants`: the spelling-variant key of one token (Cyrillic transliterated, romanisation differences
  merged), used wherever names are compared: mentions now, the search index and parser later.
- `models`: Entity, EntityVariant, ArticleMention (part of the `articles` app; migration 0003_entities).
- `mentions`: which entities an article mentions and how often, kept in step with articles and entities.
- `catalog`: loads fixtures/entities.json like ingest loads fixtures/curated.json.
"""
