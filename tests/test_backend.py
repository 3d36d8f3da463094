"""The tuned Whoosh backend gives exactly what the stock Whoosh path gives, and stays in step with the DB.

`reference_search` is the backend's former `search()` (searcher.search_page with FieldFacet/Count
groupings, as haystack's own Whoosh backend does it); every query the search function sends is run
through both and compared on ids, order, scores, totals and facets.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.management import call_command
from haystack import connections
from haystack.constants import DJANGO_CT
from whoosh import query as wq
from whoosh.analysis import StemFilter
from whoosh.fields import KEYWORD
from whoosh.sorting import Count, FieldFacet, MultiFacet

from articles.search import SearchParams, search_articles
from articles.whoosh_backend import archive_analyzer

SAMPLE = Path(__file__).resolve().parent / "data" / "corpus-sample"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

PARAMS = [
    SearchParams(q="market"),
    SearchParams(q="cocoa"),
    SearchParams(q="oil prices"),
    SearchParams(q='"interest rates"'),
    SearchParams(q="minist*"),
    SearchParams(q="goverment~"),
    SearchParams(q="shares", outlet=["Reuters"]),
    SearchParams(q="said", outlet=["Reuters", "BBC News"], sort="oldest"),
    SearchParams(q="election", sort="newest"),
    SearchParams(q="", sort="newest"),
    SearchParams(q="", page=2, page_size=7),
    SearchParams(q="", author=["Aida Smith"]),
    SearchParams(q="said", year=["1987"], page=2, page_size=5),
    SearchParams(q="bank OR trade NOT oil"),
    SearchParams(q="title:cocoa"),
    SearchParams(q="said -profit", sort="oldest", page_size=3, page=3),
]


def reference_search(
    backend,
    query_string,
    sort_by=None,
    start_offset=0,
    end_offset=None,
    facets=None,
    narrow_queries=None,
    exact_filters=(),
    **_,
):
    """The former one-call-per-request path: search_page + groupedby FieldFacet(maptype=Count)."""
    searcher = backend.searcher()
    parsed = wq.Every() if query_string == "*" else backend.parser.parse(query_string)
    sortedby = None
    if sort_by:
        keys = [FieldFacet(s.lstrip("-"), reverse=s.startswith("-")) for s in sort_by]
        sortedby = keys[0] if len(keys) == 1 else MultiFacet(keys)
    facet_names = list(facets or [])
    groupedby = [
        FieldFacet(n, allow_overlap=backend.schema[n].__class__ is KEYWORD, maptype=Count) for n in facet_names
    ]
    clauses = [backend.parser.parse(nq) for nq in narrow_queries or ()]
    clauses += [wq.Or([wq.Term(field, v) for v in values]) for field, values in exact_filters]
    filter_query = wq.And(clauses) if clauses else None
    page_num, page_length = backend.calculate_page(start_offset, end_offset)
    raw_page = searcher.search_page(
        parsed, page_num, pagelen=page_length, sortedby=sortedby, groupedby=groupedby or None, filter=filter_query
    )
    if raw_page.pagenum < page_num:
        return {"results": [], "hits": raw_page.total, "facets": {}}
    out = backend._process_results(
        raw_page, query_string=query_string, facet_types=dict.fromkeys(facet_names, "fields")
    )
    out["hits"] = raw_page.total
    return out


def snapshot(out):
    return (
        [(r.pk, round(r.score, 9) if isinstance(r.score, float) else r.score) for r in out["results"]],
        out["hits"],
        out.get("facets") or {},
    )


def captured_calls(backend, params_list):
    """Every backend.search call the search function makes for these parameters."""
    calls = []
    original = backend.search

    def spy(query_string, **kwargs):
        calls.append((query_string, kwargs))
        return original(query_string, **kwargs)

    backend.search = spy
    try:
        for params in params_list:
            try:
                search_articles(params)
            except Exception:  # a page past the end: the calls made before still count
                pass
    finally:
        del backend.search
    return calls


def results_of(params_list):
    out = []
    for params in params_list:
        try:
            r = search_articles(params)
        except Exception as exc:  # noqa: BLE001 - compared as outcomes
            out.append(type(exc).__name__)
            continue
        out.append(
            (r.count, [h.article.pk for h in r.hits], {k: [(f.value, f.count) for f in v] for k, v in r.facets.items()})
        )
    return out


@pytest.fixture
def sample(db, search_backend, django_capture_on_commit_callbacks):
    """The corpus sample ingested through ingest_bytes (one transaction per article, one index commit per ten)."""
    import scale

    from articles.ingest import ingest_bytes

    docs = scale.build_documents(SAMPLE, 80)  # 60 real articles + 20 composed of their sentences
    curated = scale.make_curated(docs)
    with django_capture_on_commit_callbacks(execute=True):
        curated.ensure_catalog()
    # Ten articles per index commit: several segments, as a growing archive has, at a tenth of the cost.
    for start in range(0, len(docs), 10):
        with django_capture_on_commit_callbacks(execute=True):
            for d in docs[start : start + 10]:
                outcome = ingest_bytes(d["name"], scale.document_bytes(d), curated=curated)
                assert outcome.status == "created", outcome.message
    return docs


def assert_matches_reference(params_list) -> int:
    backend = connections["default"].get_backend()
    calls = captured_calls(backend, params_list)
    assert len(calls) >= len(params_list)
    nonempty = 0
    for query_string, kwargs in calls:
        ours = backend.search(query_string, **kwargs)
        ref = reference_search(backend, query_string, **kwargs)
        assert snapshot(ours) == snapshot(ref), (query_string, kwargs)
        nonempty += bool(ours["results"])
    return nonempty


def test_every_query_matches_the_stock_whoosh_path(sample):
    assert assert_matches_reference(PARAMS) >= len(PARAMS) - 2


def test_count_and_page_come_from_one_pass(sample):
    backend = connections["default"].get_backend()
    passes = []
    original = backend._collect

    def counting(*args, **kwargs):
        passes.append(args[1])
        return original(*args, **kwargs)

    backend._collect = counting
    try:
        for params in PARAMS[:9]:
            search_articles(params)
    finally:
        del backend._collect
    assert len(passes) == 9


def outcomes(params_list):
    """Per query: the count, every hit (page size 100 holds them all here), the facets; for date sorts the
    order too, as runs of equal sort key.

    Relevance order is not compared across indexes: Whoosh keeps field lengths as one lossy byte per
    document and, when it merges segments, re-sums the index's length totals from those bytes, so an
    index grown by many commits has slightly different BM25 length norms than one written at once.
    Within one index, the order is checked against the stock Whoosh path above.
    """
    out = []
    for params in params_list:
        r = search_articles(replace(params, page=1, page_size=100))
        assert len(r.hits) == r.count
        runs = []
        if r.params.effective_sort != "relevance":
            for hit in r.hits:
                if runs and runs[-1][0] == hit.score:
                    runs[-1][1].add(hit.article.pk)
                else:
                    runs.append((hit.score, {hit.article.pk}))
        out.append(
            (
                r.count,
                sorted(h.article.pk for h in r.hits),
                runs,
                {k: [(f.value, f.count) for f in v] for k, v in r.facets.items()},
            )
        )
    return out


def test_merge_policy_keeps_few_segments(sample):
    backend = connections["default"].get_backend()
    # 80 one-article commits: Whoosh's default policy would keep dozens of segments at this point.
    assert 1 <= len(backend.searcher().leaf_searchers()) <= whoosh_backend_module().MERGE_FACTOR


def whoosh_backend_module():
    from articles import whoosh_backend

    return whoosh_backend


def test_bulk_rebuild_and_incremental_index_agree(sample):
    incremental = outcomes(PARAMS)
    backend = connections["default"].get_backend()
    segments_before = len(backend.searcher().leaf_searchers())
    call_command("rebuild_index", interactive=False, verbosity=0)
    assert len(backend.searcher().leaf_searchers()) == 1
    rebuilt = outcomes(PARAMS)
    assert segments_before > 1  # the incremental index really was many commits
    assert rebuilt == incremental


def test_index_holds_exactly_the_database(sample):
    from articles.models import Article

    backend = connections["default"].get_backend()
    reader = backend.searcher().reader()
    indexed = sorted(int(f["django_id"]) for f in reader.all_stored_fields() if f.get(DJANGO_CT) == "articles.article")
    assert indexed == sorted(Article.objects.values_list("pk", flat=True))


def test_a_save_is_searchable_at_once_with_fresh_facets(sample, django_capture_on_commit_callbacks):
    from articles.models import Article, Source

    before = search_articles(SearchParams(q=""))
    assert search_articles(SearchParams(q="zebrafinch")).count == 0
    article = Article.objects.filter(source__name="Reuters").order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        other = Source.objects.create(name="Kazinform")
        article.title = article.title + " zebrafinch"
        article.source = other
        article.save()
    found = search_articles(SearchParams(q="zebrafinch"))
    assert [h.article.pk for h in found.hits] == [article.pk]
    outlets = {f.value: f.count for f in search_articles(SearchParams(q="")).facets["outlet"]}
    old = {f.value: f.count for f in before.facets["outlet"]}
    assert outlets["Kazinform"] == 1
    assert outlets["Reuters"] == old["Reuters"] - 1
    assert search_articles(SearchParams(q="", outlet=["Kazinform"])).count == 1
    assert_matches_reference(PARAMS)


def test_deleting_removes_from_results_and_facets(sample, django_capture_on_commit_callbacks, monkeypatch):
    from articles import whoosh_backend
    from articles.models import Article

    monkeypatch.setattr(whoosh_backend, "MERGE_FACTOR", 10_000)  # no merge: the deletion stays a deletion

    article = Article.objects.filter(title__icontains="cocoa").order_by("pk").first()
    assert article is not None
    before = search_articles(SearchParams(q="cocoa"))
    assert article.pk in [h.article.pk for h in before.hits]
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    after = search_articles(SearchParams(q="cocoa"))
    assert article.pk not in [h.article.pk for h in after.hits]
    assert after.count == before.count - 1
    assert sum(f.count for f in after.facets["outlet"]) == sum(f.count for f in before.facets["outlet"]) - 1
    # With a deleted document in a multi-segment index, still exactly the stock path (sorted ones too).
    assert connections["default"].get_backend().searcher().reader().has_deletions()
    assert_matches_reference(PARAMS)


def test_page_beyond_the_prefetch_is_exact(sample):
    from articles.search import search_articles as sa

    everything = [h.article.pk for p in range(1, 9) for h in _page(sa, p)]
    assert len(everything) == len(set(everything)) == sa(SearchParams(q="", page_size=10)).count


def _page(sa, page):
    try:
        return sa(SearchParams(q="", sort="oldest", page=page, page_size=10)).hits
    except Exception:  # noqa: BLE001 - past the end
        return []


def expansion(backend, q, readers):
    from articles.highlight import positive_terms

    backend._use_query(object())  # a fresh memo: nothing computed for the search is reused
    found = set()
    for leaf in positive_terms(backend.parser.parse(q)):
        for reader in readers:
            for field, text in leaf.existing_terms(reader, expand=True):
                if field in (backend.content_field_name, "title"):
                    found.add(text.decode() if isinstance(text, bytes) else text)
    return found


def test_highlight_terms_are_what_the_search_expanded(sample):
    """Per segment, as the search expands prefixes and fuzzy terms; on a one-segment index that is
    exactly the former whole-index expansion."""
    backend = connections["default"].get_backend()
    queries = ("minist*", "goverment~", "oil prices", '"interest rates"', "gover*")
    for q in queries:
        search_articles(SearchParams(q=q))  # fills the per-query expansion memo the highlighter reuses
        got = backend.highlight_terms(q)
        leaves = [sub.reader() for sub, _ in backend.searcher().leaf_searchers()]
        assert got == expansion(backend, q, leaves), q
    call_command("rebuild_index", interactive=False, verbosity=0)
    for q in queries:
        search_articles(SearchParams(q=q))
        assert backend.highlight_terms(q) == expansion(backend, q, [backend.searcher().reader()]), q


class _OldWildcardSafeStemFilter(StemFilter):
    def __call__(self, tokens):
        for t in tokens:
            if t.mode == "query" and ("*" in t.text or "?" in t.text):
                yield t
            else:
                yield from super().__call__(iter([t]))


def test_analyzer_tokens_unchanged():
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StopFilter
    from whoosh.support.charset import accent_map

    old = (
        RegexTokenizer(r"\w+(?:[\*\?]\w*)*[\*\?]?|[\*\?]\w+")
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter()
        | _OldWildcardSafeStemFilter()
    )
    new = archive_analyzer()
    text = (SAMPLE.parent / "text" / "bbc-business-001.txt").read_text(encoding="utf-8")
    text += " Akordá protesting protest* minist?r the running ran runs Tokayev's ?ast"
    for mode in ("index", "query"):
        a = [(t.text, t.startchar, t.endchar) for t in old(text, chars=True, mode=mode)]
        b = [(t.text, t.startchar, t.endchar) for t in new(text, chars=True, mode=mode)]
        assert a == b


def test_date_sorts_use_cached_column_keys(sample):
    backend = connections["default"].get_backend()
    searcher = backend.searcher()
    newest = MultiFacet([FieldFacet("date_desc", reverse=True), FieldFacet("title_sort")])
    keys = backend._sort_keys(searcher, newest)
    assert keys is not None and len(keys) == searcher.doc_count_all()
    assert backend._sort_keys(searcher, newest) is not keys  # a fresh list, from the same cached segments
    assert len(backend._sort_values) == len(searcher.leaf_searchers())
