"""/entities/, /entities/<slug>/, their JSON, and names on the article page (HTTP, no browser)."""

from __future__ import annotations

import pytest

from articles.names.models import Entity, EntityVariant
from tests.test_mentions import S000, S001, S002, S003, S004
from tests.test_views import HOSTILE_WORD, IMG, SCRIPT, T000, T001, T002, T003, T004, assert_inert, page

TOKAYEV = "/entities/kassym-jomart-tokayev/"
CSTO = "/entities/collective-security-treaty-organization/"


def rows(p, table_class: str) -> list[list[str]]:
    """The text of each body row of the first table with this class."""
    html = p.html.split(f'<table class="{table_class}">', 1)[1].split("</table>", 1)[0]
    body = html.split("<tbody>", 1)[1]
    out = []
    for tr in body.split("<tr>")[1:]:
        cells = [c.split("</td>", 1)[0] for c in tr.split("<td")[1:]]
        out.append([_text(c.split(">", 1)[1]) for c in cells])
    return out


def _text(html: str) -> str:
    import re
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_entities_listed_by_number_of_articles(client, seeded):
    p = page(client, "/entities/")
    table = rows(p, "entities")
    counts = [int(r[2]) for r in table]
    assert counts == sorted(counts, reverse=True)
    top = {r[0]: int(r[2]) for r in table if int(r[2]) == 5}
    assert set(top) == {
        "Kassym-Jomart Tokayev",
        "Nursultan Nazarbayev",
        "Kazakhstan",
        "Russia",
        "Security Council of Kazakhstan",
    }
    assert ["Collective Security Treaty Organization", "Organisation", "4", "23"] in table
    assert table[-1][2] == "0"  # named nowhere in the text (Nazarbayev Avenue, in a dropped caption)
    assert "recomputed" not in p.html


def test_entities_filtered_by_kind(client, seeded):
    people = rows(page(client, "/entities/?kind=person"), "entities")
    assert {r[1] for r in people} == {"Person"}
    assert people[0][0] == "Kassym-Jomart Tokayev"
    assert len(rows(page(client, "/entities/?kind=bogus"), "entities")) == Entity.objects.count()


def test_entity_page_shows_variants_spellings_outlets_stances_and_sentences(client, seeded):
    p = page(client, TOKAYEV)
    assert "Named in <strong>5</strong> articles, 58 times." in p.html
    variants = [r[0] for r in rows(p, "variants")]
    assert {"Tokaev", "Toqaev", "Токаев", "Қасым-Жомарт Тоқаев"} <= set(variants)
    assert 'Tokaev</span> <span class="n">×1' in p.html  # as written in the archive
    by_outlet = {r[0]: (int(r[1]), int(r[2])) for r in rows(p, "by-outlet")}
    assert by_outlet == {
        "Al Jazeera": (1, 19),
        "InformNapalm": (1, 14),
        "Ramon Giralt (personal blog)": (1, 5),
        "PolitNavigator": (1, 9),
        "Unknown outlet": (1, 11),
    }
    by_stance = {r[0]: r[1] for r in rows(p, "by-stance")}
    assert set(by_stance) == {"Supportive of Russia's role", "Analytical, no clear side", "Critical of Russia's role"}
    # Articles, most mentions first, each with up to three sentences naming him, the names marked.
    assert p.html.index(T001) < p.html.index(T003) < p.html.index(T004) < p.html.index(T000) < p.html.index(T002)
    assert p.html.count('<blockquote class="sentence">') == 15
    assert "deletion of <mark>Tokaev</mark>’s English tweets" not in p.html  # not among 003's first three
    assert "<mark>Kassym-Jomart Tokayev</mark>" in p.html
    assert "From fixtures/entities.json" in p.html


def test_entity_page_sentence_marks_a_cyrillic_and_a_romanised_spelling(client, seeded):
    p = page(client, "/entities/karim-massimov/")
    assert "<mark>Karim Masimov</mark>, the head of the National Security Committee (KNB)" in p.html
    assert "Placing the blame on <mark>Massimov</mark>" in p.html
    assert "Named in <strong>4</strong> articles" in p.html


def test_article_page_links_the_names_it_mentions(client, seeded):
    article = seeded[S001]
    p = page(client, article.get_absolute_url())
    names = p.html.split('aria-label="Names in this article">', 1)[1].split("</ul>", 1)[0]
    assert names.index("Kassym-Jomart Tokayev") < names.index("Karim Massimov")
    assert f'<a href="{TOKAYEV}">Kassym-Jomart Tokayev</a> <span class="n">×19</span>' in names


def test_stale_counts_are_announced(client, seeded):
    Entity.objects.filter(name="Almaty").update(mentions_stale=True)
    assert "being recomputed" in page(client, "/entities/").html
    assert "being recomputed" in page(client, "/entities/almaty/").html
    stale = {e["name"]: e["stale"] for e in client.get("/api/entities").json()["results"]}
    assert stale["Almaty"] is True and stale["Kazakhstan"] is False


def test_unknown_entity_and_page_past_the_end(client, seeded):
    assert client.get("/entities/no-such-name/").status_code == 404
    assert client.get(f"{TOKAYEV}?page=2").status_code == 404
    assert client.get(f"{TOKAYEV}?page=abc").status_code == 404
    r = client.get("/api/entities/no-such-name")
    assert r.status_code == 404 and "error" in r.json()
    assert client.get("/api/entities/kassym-jomart-tokayev?page=9").status_code == 400


def test_api_mirrors_the_pages(client, seeded):
    listing = client.get("/api/entities").json()
    assert listing["count"] == Entity.objects.count()
    first = listing["results"][0]
    assert first["articles"] == 5 and first["url"].endswith("/entities/kazakhstan/")
    data = client.get("/api/entities/collective-security-treaty-organization").json()
    assert data["articles"] == 4 and data["mentions"] == 23
    assert {"text": "ОДКБ", "language": "ru", "kind": "acronym", "note": ""} in data["variants"]
    assert {r["title"] for r in data["results"]} == {T000, T001, T003, T004}
    row = next(r for r in data["results"] if r["title"] == T004)
    assert row["forms"] == {"Regional Security Organization": 1, "CSTO": 1}
    assert row["sentences"][0].count("<mark>") == 2  # "Regional Security Organization (CSTO)"
    assert data["by_outlet"][-1] == {"outlet": None, "articles": 1, "mentions": 2}


@pytest.fixture
def hostile_entity(seeded, django_capture_on_commit_callbacks):
    from tests.test_views import make_hostile_article

    with django_capture_on_commit_callbacks(execute=True):
        article = make_hostile_article()
        entity = Entity.objects.create(
            name=f"Zanzibarquux {SCRIPT}", kind=Entity.Kind.OTHER, description=f"desc {IMG}", provenance=IMG
        )
        EntityVariant.objects.create(entity=entity, text=HOSTILE_WORD, note=SCRIPT, language='"><b>x')
    return article, entity


def test_hostile_entity_and_article_text_stay_text(client, hostile_entity):
    article, entity = hostile_entity
    for url in ["/entities/", entity.get_absolute_url(), article.get_absolute_url()]:
        p = page(client, url)
        assert_inert(p, url)
        assert "&lt;script&gt;" in p.html, url
    p = page(client, entity.get_absolute_url())
    # The sentence is the article's text, escaped, with only the name marked.
    assert "<mark>zanzibarquux</mark> opens with &lt;script&gt;window.__xss=1&lt;/script&gt;" in p.html
    data = client.get(f"/api/entities/{entity.slug}").json()
    assert data["name"] == entity.name
    assert "&lt;img src=x" in data["results"][0]["sentences"][0]


def test_seed_files_named_in_provenance(client, seeded):
    p = page(client, CSTO)
    for name in (S000, S001, S003, S004):
        assert name in p.html
    assert S002 not in p.html
