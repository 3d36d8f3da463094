"""JSON API: the search page's data, with facet values that are valid filter values."""

import json

import pytest

KEYS = {"id", "title", "outlet", "authors", "published", "date_precision", "stance", "url", "source_file", "snippet"}


def get(client, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, json.loads(response.content)


@pytest.mark.requires("sorting", "highlighting")
def test_search_shape_and_values(client, seeded):
    status, data = get(client, "/api/search?q=Lukashenko&sort=oldest")
    assert status == 200
    assert {"query", "count", "page", "page_size", "results", "facets", "suggestion"} <= set(data)
    assert (data["query"], data["count"], data["page"], data["page_size"]) == ("Lukashenko", 3, 1, 20)
    assert [r["source_file"] for r in data["results"]] == [
        "003_1d74b9649cbe830b.txt",
        "004_0023f067e5c2ca8b.txt",
        "000_9c5419554aa1a0fb.txt",
    ]
    first = data["results"][0]
    assert KEYS <= set(first)
    assert first["url"] == f"http://testserver/articles/{first['id']}/"
    assert (first["published"], first["date_precision"]) == ("2022-01", "month")
    assert "<mark>Lukashenko</mark>" in first["snippet"]
    assert set(data["facets"]) == {"outlet", "author", "stance", "year", "mention"}


@pytest.mark.requires("facets", "filters")
def test_facet_values_round_trip_as_filters(client, seeded):
    _, data = get(client, "/api/search")
    for name, values in data["facets"].items():
        for facet in values:
            _, narrowed = get(client, f"/api/search?{name}={facet['value']}".replace(" ", "+").replace("'", "%27"))
            assert narrowed["count"] == facet["count"], (name, facet)


@pytest.mark.requires("filters")
def test_repeated_filters_combine(client, seeded):
    _, data = get(client, "/api/search?outlet=Al+Jazeera&outlet=InformNapalm")
    assert data["count"] == 2
    _, data = get(client, "/api/search?outlet=Al+Jazeera&outlet=InformNapalm&author=Sofia+Hriniova")
    assert data["count"] == 1


@pytest.mark.parametrize(
    "query",
    ["page=9", "page=0", "page=abc", "page_size=1000", "page_size=0", "sort=sideways", "from=2022-13", "to=nonsense"],
)
def test_bad_parameters_are_400_with_a_message(client, seeded, query):
    status, data = get(client, f"/api/search?{query}")
    assert status == 400 and data["error"]


def test_article_endpoint_has_export_fields(client, seeded):
    article = seeded["003_1d74b9649cbe830b.txt"]
    status, data = get(client, f"/api/articles/{article.pk}")
    assert status == 200
    assert data["title"] == "Kazakhstan is a new Pandora’s box for the Russian Federation"
    assert data["credits"][1] == {"name": "Victria Batarchuk", "role": "translator"}
    assert data["sha256"] == article.sha256 and data["body"] == article.body
    status, data = get(client, "/api/articles/999999")
    assert status == 404 and data["error"]


@pytest.mark.requires("suggestions")
def test_suggestion(client, seeded):
    _, data = get(client, "/api/search?q=Tokaiev&spelling=exact")  # as written: no seed spells it so
    assert (data["count"], data["suggestion"]) == (0, "tokayev")
