"""kzarchive's Whoosh backend: haystack's own, with the schema, parser and writer a search archive needs.

What differs from `haystack.backends.whoosh_backend` (3.4.0) and why:
- Text fields use one analyzer that lower-cases, folds accents (Akordá finds Akorda) and stems English,
  but never stems a `prefix*` or `wild?card` term (the stock parser stems "protest*" into nonsense).
- Facet fields (haystack's `*_exact` companions) are untokenized, so facets return real names, not stems.
- The parser knows `OR`, `NOT`, `-word`, `word~` fuzzy and `title:`/`author:`/`outlet:` fields.
- Writes take an exclusive file lock and wait for Whoosh's own lock instead of failing with LockError,
  so any number of processes can index and delete without losing an update.
- One long-lived searcher is reused until the index changes; narrowing is a filter, not a second search.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager

from django.utils.encoding import force_str
from haystack.backends import BaseEngine
from haystack.backends.whoosh_backend import WhooshSearchBackend, WhooshSearchQuery
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.exceptions import SearchBackendError
from whoosh import query as wq
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import DATETIME, ID as WHOOSH_ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.qparser import FuzzyTermPlugin, PlusMinusPlugin, QueryParser, WildcardPlugin, syntax
from whoosh.sorting import Count, FieldFacet, MultiFacet
from whoosh.support.charset import accent_map

WRITE_LOCK_TIMEOUT = 300  # seconds a writer waits for another process's commit


class WildcardSafeStemFilter(StemFilter):
    """Stem words, but leave query terms with wildcards alone (stemming "protest*" breaks the prefix)."""

    def __call__(self, tokens):
        for t in tokens:
            if t.mode == "query" and ("*" in t.text or "?" in t.text):
                yield t
            else:
                yield from super().__call__(iter([t]))


def archive_analyzer():
    """Tokenize, lower-case, fold accents, drop English stop words, stem (English)."""
    return (
        RegexTokenizer(r"\w+(?:[\*\?]\w*)*[\*\?]?|[\*\?]\w+")
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | WildcardSafeStemFilter()
    )


def is_facet_field(field_class) -> bool:
    return type(field_class).__name__.startswith("Facet")


class ArchiveWhooshBackend(WhooshSearchBackend):
    def build_schema(self, fields):
        analyzer = archive_analyzer()
        schema_fields = {
            ID: WHOOSH_ID(stored=True, unique=True),
            DJANGO_CT: WHOOSH_ID(stored=True),
            DJANGO_ID: WHOOSH_ID(stored=True),
        }
        content_field_name = ""
        for _, field_class in fields.items():
            name = field_class.index_fieldname
            if is_facet_field(field_class):
                # Exact values for facets and filters: names come back as they were written.
                if field_class.is_multivalued:
                    schema_fields[name] = KEYWORD(stored=True, commas=True, lowercase=False)
                else:
                    schema_fields[name] = WHOOSH_ID(stored=True, sortable=True)
            elif field_class.field_type in ("date", "datetime"):
                schema_fields[name] = DATETIME(stored=field_class.stored, sortable=True)
            elif field_class.field_type == "integer":
                schema_fields[name] = NUMERIC(stored=field_class.stored, numtype=int, sortable=True)
            elif field_class.document:
                content_field_name = name
                schema_fields[name] = TEXT(analyzer=analyzer, stored=False, spelling=True)
            else:
                schema_fields[name] = TEXT(
                    analyzer=analyzer, stored=field_class.stored, field_boost=field_class.boost
                )
        if not content_field_name:
            raise SearchBackendError("No document field in the search indexes.")
        return content_field_name, Schema(**schema_fields)

    def setup(self):
        super().setup()
        self.parser = make_parser(self.content_field_name, self.schema)
        self._searcher = None
        self._searcher_lock = threading.Lock()

    # --- writing -----------------------------------------------------------------------------------
    @contextmanager
    def _write_lock(self):
        """Serialise writers across processes: wait for the lock rather than raise LockError."""
        if not self.use_file_storage:
            yield
            return
        with open(os.path.join(self.path, ".kzarchive-write.lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _writer(self):
        self.index = self.index.refresh()
        return self.index.writer(timeout=WRITE_LOCK_TIMEOUT, delay=0.05)

    def update(self, index, iterable, commit=True):
        if not self.setup_complete:
            self.setup()
        docs = []
        for obj in iterable:
            doc = index.full_prepare(obj)
            doc.pop("boost", None)
            docs.append({key: self._from_python(value) for key, value in doc.items()})
        if not docs:
            return
        with self._write_lock():
            writer = self._writer()
            try:
                for doc in docs:
                    writer.update_document(**doc)
            except Exception:
                writer.cancel()
                raise
            writer.commit()

    def remove(self, obj_or_string, commit=True):
        if not self.setup_complete:
            self.setup()
        from haystack.utils import get_identifier

        with self._write_lock():
            writer = self._writer()
            writer.delete_by_term(ID, get_identifier(obj_or_string))
            writer.commit()

    def clear(self, models=None, commit=True):
        if not self.setup_complete:
            self.setup()
        with self._write_lock():
            if not models:
                self.delete_index()
                return
            writer = self._writer()
            for model in models:
                writer.delete_by_term(DJANGO_CT, f"{model._meta.app_label}.{model._meta.model_name}")
            writer.commit()

    def delete_index(self):
        super().delete_index()
        self._searcher = None

    # --- reading -----------------------------------------------------------------------------------
    def searcher(self):
        """A searcher kept open across queries and refreshed only when a commit changed the index."""
        if not self.setup_complete:
            self.setup()
        with self._searcher_lock:
            if self._searcher is None:
                self.index = self.index.refresh()
                self._searcher = self.index.searcher()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
            return self._searcher

    def search(
        self,
        query_string,
        sort_by=None,
        start_offset=0,
        end_offset=None,
        fields="",
        highlight=False,
        facets=None,
        date_facets=None,
        query_facets=None,
        narrow_queries=None,
        spelling_query=None,
        result_class=None,
        **kwargs,
    ):
        if not self.setup_complete:
            self.setup()
        query_string = force_str(query_string).strip()
        if not query_string:
            return {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}
        searcher = self.searcher()
        parsed = wq.Every() if query_string == "*" else self.parser.parse(query_string)
        if parsed is None or parsed is wq.NullQuery:
            return {"results": [], "hits": 0, "facets": {}, "spelling_suggestion": None}

        # Each key keeps its own direction (newest first, then title A-Z), unlike the stock backend.
        sortedby, reverse = None, False
        if sort_by:
            keys = [FieldFacet(s.lstrip("-"), reverse=s.startswith("-")) for s in sort_by]
            sortedby = keys[0] if len(keys) == 1 else MultiFacet(keys)

        facet_names = list(facets or [])
        groupedby = [
            FieldFacet(name, allow_overlap=self.schema[name].__class__ is KEYWORD, maptype=Count)
            for name in facet_names
        ]
        filter_query = None
        if narrow_queries:
            filter_query = wq.And([self.parser.parse(force_str(nq)) for nq in narrow_queries])

        page_num, page_length = self.calculate_page(start_offset, end_offset)
        raw_page = searcher.search_page(
            parsed,
            page_num,
            pagelen=page_length,
            sortedby=sortedby,
            reverse=reverse,
            groupedby=groupedby or None,
            filter=filter_query,
        )
        if raw_page.pagenum < page_num:
            return {"results": [], "hits": raw_page.total, "facets": {}, "spelling_suggestion": None}
        results = self._process_results(
            raw_page,
            highlight=False,
            query_string=query_string,
            spelling_query=spelling_query,
            result_class=result_class,
            facet_types=dict.fromkeys(facet_names, "fields"),
        )
        results["hits"] = raw_page.total
        return results

    def more_like_this(self, model_instance, additional_query_string=None, result_class=None, **kwargs):
        """Articles sharing the key terms of this one (its text is re-rendered; the index stores none)."""
        from haystack import connections
        from haystack.utils import get_identifier

        if not self.setup_complete:
            self.setup()
        index = connections[self.connection_alias].get_unified_index().get_index(type(model_instance))
        text = index.full_prepare(model_instance)[self.content_field_name]
        searcher = self.searcher()
        docnum = searcher.document_number(**{ID: get_identifier(model_instance)})
        if docnum is None:
            return {"results": [], "hits": 0}
        limit = kwargs.get("end_offset") or 10
        raw = searcher.more_like(docnum, self.content_field_name, text=text, top=limit, numterms=15)
        return self._process_results(raw, result_class=result_class)

    def highlight_terms(self, query_string: str) -> set[str]:
        """Index terms of the content field a query matches, prefixes and fuzzy terms expanded."""
        from articles.highlight import positive_terms

        parsed = self.parser.parse(force_str(query_string))
        reader = self.searcher().reader()
        terms: set[str] = set()
        for leaf in positive_terms(parsed):
            for fieldname, text in leaf.existing_terms(reader, expand=True):
                if fieldname in (self.content_field_name, "title"):
                    terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
        return terms

    def create_spelling_suggestion(self, query_string):
        """Suggest per-word corrections against the index's own vocabulary (None when nothing differs)."""
        words = [w for w in force_str(query_string).split() if w.isalpha() and w.upper() not in {"AND", "OR", "NOT"}]
        if not words:
            return None
        corrector = self.searcher().corrector(self.content_field_name)
        suggested = []
        for word in words:
            found = corrector.suggest(word.lower(), limit=1)
            suggested.append(found[0] if found else word.lower())
        suggestion = " ".join(suggested)
        return suggestion if suggestion != " ".join(w.lower() for w in words) else None


class UnstemmedWildcardPlugin(WildcardPlugin):
    """Keep `word*` a wildcard: the stock plugin turns it into a prefix node whose text the analyzer
    stems ("Kulibay*" became "kulibai*" and found nothing). Whoosh still runs it as a Prefix query."""

    def do_wildcards(self, parser, group):
        i = 0
        while i < len(group):
            node = group[i]
            if isinstance(node, self.WildcardNode):
                if i < len(group) - 1 and group[i + 1].is_text():
                    node.text += group.pop(i + 1).text
                if i > 0 and group[i - 1].is_text():
                    node.text = group.pop(i - 1).text + node.text
                else:
                    i += 1
            else:
                if isinstance(node, syntax.GroupNode):
                    self.do_wildcards(parser, node)
                i += 1
        return group


def make_parser(content_field: str, schema) -> QueryParser:
    """All words must match by default; OR, NOT, -word, "phrase", word*, word~, field:value, (groups)."""
    parser = QueryParser(content_field, schema=schema)
    parser.remove_plugin_class(WildcardPlugin)
    parser.add_plugin(UnstemmedWildcardPlugin())
    parser.add_plugins([FuzzyTermPlugin(), PlusMinusPlugin()])
    return parser


class ArchiveWhooshEngine(BaseEngine):
    backend = ArchiveWhooshBackend
    query = WhooshSearchQuery
