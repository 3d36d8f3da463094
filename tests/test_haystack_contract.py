"""haystack's contract for a Whoosh backend, point by point, on kzarchive's engine and its ArticleIndex
(issue 12 step 8). haystack's own Whoosh tests run against the engine too: tests/haystack_contract."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings
from haystack import connections, indexes
from haystack.exceptions import SkipDocument
from haystack.query import SearchQuerySet
from haystack.utils.loading import UnifiedIndex
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.fields import BOOLEAN, NGRAMWORDS, NUMERIC

from articles.models import Article
from articles.search_indexes import ArticleIndex


class TypedIndex(indexes.SearchIndex, indexes.Indexable):
    text = indexes.CharField(document=True, model_attr="title")
    score = indexes.FloatField(null=True)
    is_open = indexes.BooleanField(default=True)
    title_auto = indexes.EdgeNgramField(model_attr="title")
    code = indexes.CharField(model_attr="title", analyzer=SpaceSeparatedTokenizer())

    def get_model(self):
        return Article


def schema_of(index):
    ui = UnifiedIndex()
    ui.build(indexes=[index])
    return connections["default"].get_backend().build_schema(ui.all_searchfields())[1]


def test_float_and_boolean_fields_get_whoosh_types():
    """They were TEXT: indexing a float raised `ValueError: 3.6 is not unicode or sequence`."""
    schema = schema_of(TypedIndex())
    assert isinstance(schema["score"], NUMERIC) and schema["score"].numtype is float
    assert isinstance(schema["is_open"], BOOLEAN)


def test_edge_ngram_field_is_ngramwords_for_autocomplete():
    field = schema_of(TypedIndex())["title_auto"]
    assert isinstance(field, NGRAMWORDS)
    assert [t.text for t in field.analyzer("Kazakhstan passes")][:3] == ["ka", "kaz", "kaza"]


def test_per_field_analyzer_is_honoured():
    schema = schema_of(TypedIndex())
    assert [t.text for t in schema["code"].analyzer("Power-Grid KZ")] == ["Power-Grid", "KZ"]
    # Fields without one keep the archive's analyzer (lower-cased, folded, stemmed).
    assert [t.text for t in schema["text"].analyzer("Akordá passes")] == ["akorda", "pass"]


@pytest.mark.django_db
def test_search_is_logged_under_debug(seeded):
    conn = connections["default"]
    conn.reset_queries()
    with override_settings(DEBUG=True):
        conn.get_backend().search("kazakhstan")
    assert [q["query_string"] for q in conn.queries] == ["kazakhstan"]


@pytest.mark.django_db
def test_update_skips_documents_that_raise_skip_document(seeded, search_backend):
    skipped = min(a.pk for a in seeded.values())

    class SkippingIndex(ArticleIndex):
        def prepare(self, obj):
            if obj.pk == skipped:
                raise SkipDocument
            return super().prepare(obj)

    search_backend.clear()
    search_backend.update(SkippingIndex(), list(Article.objects.all()))
    ids = {int(r.pk) for r in search_backend.search("*", end_offset=10)["results"]}
    assert ids == {a.pk for a in seeded.values()} - {skipped}


@pytest.mark.django_db
def test_models_and_limit_to_registered_models_narrow_results(seeded):
    from django.contrib.auth.models import User

    assert SearchQuerySet().models(Article).count() == 5
    with pytest.warns(UserWarning, match="not registered for search"):
        assert SearchQuerySet().models(User).count() == 0
    backend = connections["default"].get_backend()
    assert backend.search("*", models=[User])["hits"] == 0
    assert backend.search("*", limit_to_registered_models=False)["hits"] == 5


@pytest.mark.django_db
def test_spelling_suggestion_on_the_query_haystack_builds(seeded):
    """haystack passes its own query string, parenthesised: "(Kazakhstn)" found nothing before."""
    backend = connections["default"].get_backend()
    assert backend.create_spelling_suggestion("(Kazakhstn)") == "kazakhstan"
    assert backend.create_spelling_suggestion('(+"Kazakhstn" AND -Rusia)') == "kazakhstan russia"


@pytest.mark.django_db
def test_highlight_true_marks_the_query_terms(seeded):
    results = connections["default"].get_backend().search("triumvirate", highlight=True)["results"]
    assert len(results) == 1
    assert "<em>triumvirate</em>" in results[0].highlighted["text"][0]


@pytest.mark.django_db
def test_date_facets_count_matches_by_range(seeded):
    backend = connections["default"].get_backend()
    spec = {"published": {"start_date": date(2020, 1, 1), "end_date": date(2025, 1, 1), "gap_by": "year"}}
    out = backend.search("*", date_facets=spec)
    counts = out["facets"]["dates"]["published"]
    assert sum(n for _, n in counts) == out["hits"] == 5
    assert all(key is None or key[0].year >= 2020 for key, _ in counts)
    # The same through haystack's SearchQuerySet.date_facet.
    sqs = SearchQuerySet().date_facet(
        "published", start_date=date(2020, 1, 1), end_date=date(2025, 1, 1), gap_by="year"
    )
    assert sqs.facet_counts()["dates"]["published"] == counts


@pytest.mark.django_db
def test_empty_query_answers_as_haystack_does(seeded):
    assert connections["default"].get_backend().search("") == {"results": [], "hits": 0}
