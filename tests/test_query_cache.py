"""One pass per search, and the next page or a return to the results from the query cache
(articles/whoosh/query_cache.py): never stale after a write, identical to no cache at all."""

from __future__ import annotations

from array import array

import pytest
from django.test import override_settings
from haystack import connections

from articles.models import Article
from articles.search import SearchParams, matching_ids, search_articles
from articles.whoosh.query_cache import Collection, QueryCache


@pytest.fixture
def backend(seeded):
    backend = connections["default"].get_backend()
    backend._query_cache.clear()
    return backend


def count_calls(monkeypatch, backend, *names):
    calls = []
    for name in names:
        original = getattr(backend, name)

        def counted(*args, original=original, **kwargs):
            calls.append(args)
            return original(*args, **kwargs)

        monkeypatch.setattr(backend, name, counted)
    return calls


PASSES = ("_collect", "_match_all")  # a pass over the index: a search, or a query's matches kept for refinements


def test_one_search_is_one_backend_call_and_one_collection(backend, monkeypatch):
    searches = count_calls(monkeypatch, backend, "search")
    collections = count_calls(monkeypatch, backend, *PASSES)
    plans = count_calls(monkeypatch, backend, "highlight_plan")
    found = search_articles(SearchParams(q="Tokayev protests"))
    assert found.count > 0 and found.facets["outlet"] and found.hits[0].snippet
    assert (len(searches), len(collections), len(plans)) == (1, 1, 0)  # page, count, facets, plan: one run


def test_the_next_page_and_the_way_back_come_from_the_cache(backend, monkeypatch, settings):
    collections = count_calls(monkeypatch, backend, *PASSES)
    countings = count_calls(monkeypatch, backend, "_facet_counts")
    first = search_articles(SearchParams(q="Kazakhstan", page_size=2))
    second = search_articles(SearchParams(q="Kazakhstan", page_size=2, page=2))
    again = search_articles(SearchParams(q="Kazakhstan", page_size=2))
    assert len(collections) == 1
    assert len(countings) == 1  # the same query and filters: the same facet counts, counted once
    assert again.facets == second.facets == first.facets
    assert [h.article.pk for h in again.hits] == [h.article.pk for h in first.hits]
    assert not {h.article.pk for h in first.hits} & {h.article.pk for h in second.hits}
    oldest = search_articles(SearchParams(q="Kazakhstan", page_size=2, sort="oldest"))
    outlet = search_articles(SearchParams(q="Kazakhstan", page_size=2, outlet=[first.facets["outlet"][0].value]))
    assert len(collections) == 1  # another order, a facet clicked: from the query's kept matches
    assert len(countings) == 2  # another order: the counts kept; a facet clicked: counted
    assert oldest.facets == first.facets
    settings.KZARCHIVE_QUERY_CACHE = False
    assert search_articles(SearchParams(q="Kazakhstan", page_size=2, sort="oldest")).hits == oldest.hits
    assert search_articles(SearchParams(q="Kazakhstan", page_size=2, outlet=outlet.params.outlet)).hits == outlet.hits
    assert len(collections) == 3  # with the cache off, every request searches
    assert len(countings) == 4  # and counts its facets


def test_an_edit_is_visible_on_the_next_request(backend, django_capture_on_commit_callbacks):
    assert search_articles(SearchParams(q="zanzibarite")).count == 0
    article = Article.objects.order_by("pk").first()
    with django_capture_on_commit_callbacks(execute=True):
        article.title = f"{article.title} zanzibarite"
        article.save()
    assert search_articles(SearchParams(q="zanzibarite")).count == 1
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert search_articles(SearchParams(q="zanzibarite")).count == 0
    assert article.pk not in matching_ids(SearchParams(q="Kazakhstan")).ids


def test_facet_counts_follow_a_deletion_on_the_next_request(backend, django_capture_on_commit_callbacks):
    def outlets():
        return {f.value: f.count for f in search_articles(SearchParams(q="Kazakhstan")).facets["outlet"]}

    before = outlets()
    assert outlets() == before  # kept
    article = Article.objects.filter(pk__in=matching_ids(SearchParams(q="Kazakhstan")).ids).first()
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    after = outlets()
    assert after.get(article.source.name, 0) == before[article.source.name] - 1


QUERIES = ["Kazakhstan", "Tokayev", "protest*", "goverment~", '"fuel prices"', "", "CSTO OR ODKB", "-Russia"]


def answers(params: SearchParams):
    found = search_articles(params)
    facets = {name: [(f.value, f.count) for f in values] for name, values in found.facets.items()}
    return found.count, [(h.article.pk, h.snippet) for h in found.hits], facets, found.message


@pytest.mark.parametrize("sort", ["", "newest", "oldest"])
def test_results_are_identical_with_the_cache_off(backend, sort):
    for q in QUERIES:
        for page in (1, 2):
            params = SearchParams(q=q, sort=sort, page_size=2, page=page)
            try:
                cached = [answers(params), answers(params)]
            except Exception as exc:  # noqa: BLE001 - a page past the end must fail the same way
                cached = type(exc)
            with override_settings(KZARCHIVE_QUERY_CACHE=False):
                try:
                    plain = [answers(params), answers(params)]
                except Exception as exc:  # noqa: BLE001
                    plain = type(exc)
            assert cached == plain, (q, sort, page)
    assert len(backend._query_cache) > 0


def test_the_cache_is_bounded_and_forgets_older_generations():
    cache = QueryCache(max_entries=3, max_docs=10)
    for n in range(5):
        cache.put((1, f"q{n}"), Collection([], array("i", [n]), 1, None, 100))
    assert len(cache) == 3 and cache.get((1, "q0"), 1) is None and cache.get((1, "q4"), 1) is not None
    cache.put((1, "big"), Collection([], array("i", range(11)), 11, None, 100))
    assert cache.get((1, "big"), 1) is None  # larger than the whole cache: not kept
    cache.put((1, "five"), Collection([], array("i", range(5)), 5, None, 100))
    assert cache.doc_numbers <= 10
    assert cache.get((1, "five"), 101) is None  # holds the top 100 only
    cache.keep_generation(2)
    assert len(cache) == 0 and cache.doc_numbers == 0


def test_a_page_past_any_archive_is_no_page_not_a_damaged_index(backend, client):
    """One run per search starts at the page's offset: a page number of 19 digits must be refused as a
    page, before the engine turns it into a float (OverflowError, once reported as a damaged index)."""
    from django.core.paginator import InvalidPage

    for q in ("Kazakhstan", ""):
        with pytest.raises(InvalidPage):
            search_articles(SearchParams(q=q, page=10**18))
    assert client.get("/api/search", {"q": "Kazakhstan", "page": str(10**18)}).status_code in (400, 404)


def test_filter_sets_from_facet_codes_are_the_index_postings(backend, django_capture_on_commit_callbacks):
    """A refinement's filter set comes from the facet field's codes (refining._allowed_by_codes). On the live
    documents it must be exactly what a Whoosh query for the values finds: every facet field, each value
    and pairs of values, before and after a deletion and an edit that moves an article to another stance."""
    import numpy as np
    from whoosh import query as wq

    from articles.models import StanceCategory
    from articles.search import FACETS
    from articles.whoosh.refining import allowed_docs

    def check():
        searcher = backend.searcher()
        live = np.fromiter(searcher.docs_for_query(wq.Every()), dtype=np.int32)
        facets = search_articles(SearchParams()).facets
        for name in FACETS:
            field, values = f"{name}_exact", [f.value for f in facets[name]]
            assert values, name
            for chosen in [(v,) for v in values] + [tuple(values[:2])]:
                by_codes = backend._allowed_by_codes(searcher, field, chosen)
                assert by_codes is not None, (field, chosen)
                assert np.intersect1d(by_codes, live).tolist() == allowed_docs(searcher, field, chosen).tolist()
            assert backend._allowed_by_codes(searcher, field, ("no such value",)) is None  # postings answer

    check()
    doomed, moved = Article.objects.order_by("pk")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        doomed.delete()
        moved.stance = StanceCategory.objects.exclude(pk=moved.stance_id).first()
        moved.save()
    check()
