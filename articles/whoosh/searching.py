"""What haystack asks of a search backend: search, more like this, highlighting, spelling suggestions.

Each search parses the whole query before touching the index (a refused query is not damage), then
collects once (reading.py); sort keys keep their own directions (newest first, then title A-Z).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.encoding import force_str
from haystack.backends import log_query
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from haystack.utils import get_model_ct
from whoosh import query as wq
from whoosh.searching import Results, ResultsPage
from whoosh.sorting import FieldFacet, MultiFacet

from articles import query_bounds
from articles.highlight import plan_for
from articles.names.expansion import DEFAULT_MODE
from articles.whoosh import query_cache
from articles.whoosh.query_cache import Collection
from articles.whoosh.reading import TOP_PREFETCH
from articles.whoosh.snapshot import reading

MLT_TEXT_CHARS = 50_000
FACETS_KEPT = 256  # facet counts kept per generation (a query and its filters each)


class Searching:
    """The searching part of ArchiveWhooshBackend (articles/whoosh/backend.py)."""

    def _model_filter(self, searcher, models, limit_to_registered_models) -> tuple:
        """haystack's .models() and HAYSTACK_LIMIT_TO_REGISTERED_MODELS as an exact filter on django_ct;
        none when every document in the index is of an allowed model (the usual case: one index)."""
        if limit_to_registered_models is None:
            limit_to_registered_models = getattr(settings, "HAYSTACK_LIMIT_TO_REGISTERED_MODELS", True)
        if models:
            allowed = sorted(get_model_ct(model) for model in models)
        elif limit_to_registered_models:
            allowed = sorted(self.build_models_list())
        else:
            return ()
        present = self._models_present(searcher)
        if not allowed or present <= set(allowed):
            return ()
        return ((DJANGO_CT, tuple(allowed)),)

    def _models_present(self, searcher) -> frozenset[str]:
        """The models with documents in this generation of the index, read once per generation: merging the
        segments' lexicons for it took ~1 ms of every search at 100,000 articles."""
        return self._generation_cached(
            searcher, "models present", None, lambda: frozenset(map(force_str, searcher.reader().lexicon(DJANGO_CT)))
        )

    @log_query
    @reading
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
        models=None,
        limit_to_registered_models=None,
        result_class=None,
        **kwargs,
    ):
        if not self.setup_complete:
            self.setup()
        query_string = force_str(query_string).strip()
        if not query_string:
            return {"results": [], "hits": 0}
        # Parse everything the user wrote before touching the index: a refused query is not damage.
        spelling = kwargs.get("spelling") or DEFAULT_MODE
        parsed = wq.Every() if query_string == "*" else self.parser_for(spelling).parse(query_string)
        if parsed is None or parsed is wq.NullQuery:
            return {"results": [], "hits": 0}
        narrow_parsed = [self.parser.parse(force_str(nq)) for nq in narrow_queries or ()]
        page_num, page_length = self.calculate_page(start_offset, end_offset)
        searcher = self.searcher()

        # Each key keeps its own direction (newest first, then title A-Z), unlike the stock backend.
        sortedby, reverse = None, False
        if sort_by:
            keys = [FieldFacet(s.lstrip("-"), reverse=s.startswith("-")) for s in sort_by]
            sortedby = keys[0] if len(keys) == 1 else MultiFacet(keys)

        narrow = tuple(force_str(nq) for nq in narrow_queries or ())
        exact = tuple(kwargs.get("exact_filters") or ()) + self._model_filter(
            searcher, models, limit_to_registered_models
        )
        needed = page_num * page_length

        limits = (query_bounds.max_expansions(), query_bounds.time_budget())
        key = (searcher._kz_generation, query_string, spelling, tuple(sort_by or ()), narrow, exact, limits)
        found = self._query_cache.get(key, needed)
        if found is None and kwargs.get("first_page_only") and sortedby is None and not self._has_matches(key):
            found = self._first_page(searcher, key, parsed, narrow_parsed, exact, needed)
        if found is None:
            limit = max(needed, TOP_PREFETCH)
            found = self._refine(searcher, key, parsed, narrow_parsed, exact, sortedby, reverse, limit)
            if found is not None and found.exact:
                self._query_cache.put(key, found)
        if found is None:
            bounds = query_bounds.Bounds()
            deadline = query_bounds.Deadline(limits[1])
            parsed = self._pin_expansions(parsed, searcher, bounds)
            filter_query = _filter_query(narrow_parsed, exact)
            top, docs, total = self._collect(searcher, parsed, filter_query, sortedby, reverse, limit, deadline)
            deadline.report(bounds)
            found = Collection(top, docs, total, parsed, limit, tuple(bounds.notices))
            if bounds.count_exact:  # one a bound stopped early must be tried in full next time
                self._query_cache.put(key, found)
        bounds = query_bounds.Bounds(list(found.notices), found.exact)

        results = Results(searcher, found.parsed, found.top)
        results._total = found.total
        raw_page = ResultsPage(results, page_num, page_length)
        out = {"results": [], "hits": found.total, "facets": {}, "spelling_suggestion": None, "bounds": bounds}
        if found.first_page_only:  # hits: the matches seen, exact only when the top is not full
            out["first_page_only"] = {"count_known": found.total_known}
        if raw_page.pagenum < page_num:  # past the end (or nothing matched): no results, no facets, as stock
            return out
        processed = self._process_results(
            _FieldsPage(raw_page, fields) if fields else raw_page,
            highlight=False,
            query_string=query_string,
            spelling_query=spelling_query,
            result_class=result_class,
        )
        out["results"], out["spelling_suggestion"] = processed["results"], processed.get("spelling_suggestion")
        if facets and not found.first_page_only:
            out["facets"] = self._kept_facet_counts(searcher, key, found, tuple(facets))
        if date_facets and not found.first_page_only:
            out["facets"] = out["facets"] or {"fields": {}, "dates": {}, "queries": {}}
            out["facets"]["dates"] = self._date_facet_counts(searcher, found.docs, date_facets)
        if highlight:
            self._highlight(searcher, found.parsed, out["results"])
        if kwargs.get("highlight_plan"):
            out["plan"] = self._plan_of(searcher, found.parsed)
        return out

    def _kept_facet_counts(self, searcher, key, found: Collection, names: tuple) -> dict:
        """The facet counts of a complete collection, kept for its query and filters (whatever the sort or
        page: the next page and a return to the results show the same counts); a partial one is counted anew."""

        def count():
            return self._facet_counts(searcher, found.docs, list(names))

        if not found.exact or not query_cache.enabled():
            return count()
        generation, query_string, spelling, _sort, narrow, exact, limits = key
        counted = self._generation_cached(
            searcher, "facets", (query_string, spelling, narrow, exact, limits, names), count, most=FACETS_KEPT
        )
        return {kind: dict(values) for kind, values in counted.items()}  # the caller may add "dates"

    def _first_page(self, searcher, key, parsed, narrow_parsed, exact, limit) -> Collection | None:
        """A new query's first page by relevance alone, without its facets, which a second request (the full
        pass) fills in (articles/progressive.py); None where the full pass answers. A pass that saw every match
        (as arrays, any query but a phrase; by Whoosh's matchers, one that skipped no block) knows its count,
        and without filters its matches and scores are kept (refining.MatchSet), so the second request is
        answered from them."""
        bounds, deadline = query_bounds.Bounds(), query_bounds.Deadline(key[-1][1])
        pinned = self._pin_expansions(parsed, searcher, bounds)
        first = self._collect_first_page(searcher, pinned, _filter_query(narrow_parsed, exact), limit, deadline)
        if first is None:
            return None
        top, docs, scores, complete = first
        deadline.report(bounds)
        notices, complete = tuple(bounds.notices), complete and bounds.count_exact
        if complete and not narrow_parsed and not exact:
            self._keep_matches(key, docs, scores, pinned, notices)
        return Collection(top, (), len(docs), pinned, limit, notices, bounds.count_exact, True, complete)

    def _highlight(self, searcher, parsed, results) -> None:
        """haystack's highlight=True: result.highlighted[content field] holds the text with the query's
        terms in <em>. The document text is not stored, so it is prepared again from the objects."""
        from haystack import connections
        from haystack.backends.whoosh_backend import WhooshHtmlFormatter
        from whoosh.highlight import ContextFragmenter, highlight

        field = self.content_field_name
        terms = set()
        for sub, _ in searcher.leaf_searchers():
            terms.update(text for name, text in parsed.existing_terms(sub.reader(), expand=True) if name == field)
        terms = {force_str(t) for t in terms}
        analyzer = self.schema[field].analyzer
        unified = connections[self.connection_alias].get_unified_index()
        by_model: dict = {}
        for result in results:
            by_model.setdefault(result.model, []).append(result)
        for model, group in by_model.items():
            index = unified.get_index(model)
            objects = index.read_queryset().in_bulk([r.pk for r in group])
            for result in group:
                obj = objects.get(model._meta.pk.to_python(result.pk))
                text = force_str(index.full_prepare(obj).get(field, "")) if obj is not None else ""
                marked = highlight(text, terms, analyzer, ContextFragmenter(), WhooshHtmlFormatter("em"))
                result.highlighted = {field: [marked]}

    @reading
    def more_like_this(self, model_instance, additional_query_string=None, result_class=None, **kwargs):
        """Articles sharing the key terms of this one (its text is re-rendered; the index stores none)."""
        from haystack import connections
        from haystack.utils import get_identifier

        if not self.setup_complete:
            self.setup()
        index = connections[self.connection_alias].get_unified_index().get_index(type(model_instance))
        # Key terms come from the opening: analysing megabytes of one article per page view stalls a worker.
        text = index.full_prepare(model_instance)[self.content_field_name][:MLT_TEXT_CHARS]
        searcher = self.searcher()
        docnum = searcher.document_number(**{ID: get_identifier(model_instance)})
        if docnum is None:
            return {"results": [], "hits": 0}
        limit = kwargs.get("end_offset") or 10
        raw = searcher.more_like(docnum, self.content_field_name, text=text, top=limit, numterms=15)
        return self._process_results(raw, result_class=result_class)

    def parser_for(self, spelling: str):
        """The parser of a spelling mode: `exact` searches words as written (stemmed and accent-folded)."""
        if not self.setup_complete:
            self.setup()
        return self.parser if spelling == "exact" else self.variant_parser

    @reading
    def highlight_plan(self, query_string: str, spelling: str = DEFAULT_MODE):
        """What a query marks in text (articles.highlight.QueryPlan), for a page that ran no search (an
        article opened from the results): its phrases, and the index terms of the content and title fields
        its other leaves match, prefixes and fuzzy terms expanded, and the spelling keys its names matched."""
        parsed = self.parser_for(spelling).parse(force_str(query_string))
        searcher = self.searcher()
        return self._plan_of(searcher, self._pin_expansions(parsed, searcher, query_bounds.Bounds()))

    def _plan_of(self, searcher, pinned):
        """The highlight plan of a query whose expansions are pinned (the search's own)."""
        readers = [sub.reader() for sub, _ in searcher.leaf_searchers()]

        def expand(leaf):
            return {text for reader in readers for _, text in leaf.existing_terms(reader, expand=True)}

        return plan_for(pinned, (self.content_field_name, "title"), expand)

    @reading
    def create_spelling_suggestion(self, query_string):
        """Suggest per-word corrections against the index's own vocabulary (None when nothing differs).

        Bounded like a search (articles/query_bounds.py): each distinct word once, at most
        SUGGEST_MAX_WORDS words of at most SUGGEST_MAX_WORD_LENGTH letters, the first letter kept (as
        fuzzy terms keep it), and no suggestion at all once the search's time budget is spent: unbounded,
        500 characters of one repeated name took 111 s at 10,000 articles, after the search had ended.
        """
        # haystack hands over the query it built, e.g. "(Indexe)": strip its grouping and operators.
        stripped = (w.strip("()[]{}\"'+-!^~*?") for w in force_str(query_string).split())
        words = [w.lower() for w in stripped if w.isalpha() and w.upper() not in {"AND", "OR", "NOT", "TO"}]
        words = list(dict.fromkeys(words))
        if not words or len(words) > query_bounds.SUGGEST_MAX_WORDS:
            return None
        deadline = time.monotonic() + query_bounds.time_budget()
        corrector = self.searcher().corrector(self.content_field_name)
        corrections = {}
        for word in words:
            if len(word) > query_bounds.SUGGEST_MAX_WORD_LENGTH or len(word) < 3:
                continue  # not a word anyone misspells, or too short to correct with any confidence
            if time.monotonic() > deadline:
                return None
            found = corrector.suggest(word, limit=1, maxdist=1 if len(word) < 6 else 2, prefix=1)
            if found and found[0] != word:
                corrections[word] = found[0]
        if not corrections:
            return None
        return " ".join(corrections.get(w, w) for w in words)


class _FieldsPage:
    """A page of Whoosh hits showing haystack only the stored fields asked for (`fields`, as values() and
    values_list() ask, and Solr's `fl` gives): haystack converts each stored value it sees, trying it as
    JSON first, which for every field of 20 hits took ~2 ms of a search at 100,000 articles."""

    def __init__(self, page: ResultsPage, fields):
        self.page, self.keep = page, {DJANGO_CT, DJANGO_ID, *fields}

    def __len__(self) -> int:
        return len(self.page)

    def score(self, n: int):
        return self.page.score(n)

    def __iter__(self):
        keep = self.keep
        for hit in self.page:
            yield {name: value for name, value in hit.fields().items() if name in keep}


def _filter_query(narrow_parsed, exact):
    """haystack's narrow queries and the exact filters as one Whoosh filter (None: no filter)."""
    clauses = list(narrow_parsed)
    clauses += [wq.Or([wq.Term(field, value) for value in values]) for field, values in exact]
    return wq.And(clauses) if clauses else None
