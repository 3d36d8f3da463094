"""Searching names across spellings, scripts and aliases (issue 13 phase 2), through /api/search on the seeds:
the variant matching, the `spelling=exact` switch, "also matched", highlights of variants, the `mention`
facet and filter, an alias edit taking effect without a rebuild, and Cyrillic <-> Latin both ways."""

from __future__ import annotations

import re

import pytest

from articles.ingest import Curated, ingest_bytes
from articles.names.models import ArticleMention, Entity, EntityVariant
from tests.test_mentions import ALL, S000, S001, S002, S003, S004


def api(client, **params):
    params.setdefault("page_size", 50)
    response = client.get("/api/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def files(data) -> set[str]:
    return {r["source_file"] for r in data["results"]}


def mentioning(name: str) -> set[str]:
    return set(ArticleMention.objects.filter(entity__name=name).values_list("article__source_file", flat=True))


@pytest.mark.parametrize("q", ["Tokaev", "Tokaiev", "Токаев", "Tokayev", "Toqaev", "tokaev"])
def test_every_spelling_of_tokayev_finds_all_five_seeds(client, seeded, q):
    data = api(client, q=q)
    assert data["spelling"] == "variants"
    assert (data["count"], files(data)) == (5, ALL)


def test_masimov_and_massimov_find_the_same_four(client, seeded):
    masimov, massimov = api(client, q="Masimov"), api(client, q="Massimov")
    assert files(masimov) == files(massimov) == {S000, S001, S002, S003} == mentioning("Karim Massimov")


def test_odkb_finds_every_article_that_mentions_the_csto(client, seeded):
    csto = mentioning("Collective Security Treaty Organization")
    assert csto == {S000, S001, S003, S004}
    for q in ("ODKB", "ОДКБ", "CSTO", '"Collective Security Treaty Organization"'):
        assert files(api(client, q=q)) == csto, q
    # No seed writes ODKB: as written it finds nothing.
    assert api(client, q="ODKB", spelling="exact")["count"] == 0


def test_exact_spelling_finds_only_what_is_written(client, seeded):
    data = api(client, q="Tokaev", spelling="exact")
    assert (data["count"], files(data), data["also_matched"], data["spelling"]) == (1, {S003}, [], "exact")
    assert "Tokaev" in seeded[S003].body
    assert not any(re.search(r"\bTokaev\b", seeded[f].body) for f in ALL - {S003})


def test_a_bad_spelling_value_is_a_400(client, seeded):
    response = client.get("/api/search", {"q": "Tokaev", "spelling": "fuzzy"})
    assert response.status_code == 400
    assert "spelling must be one of variants, exact" in response.json()["error"]


def test_also_matched_lists_the_spellings_found_and_highlights_mark_them(client, seeded):
    data = api(client, q="Tokaev")
    assert "Tokayev" in data["also_matched"] and "Tokaev" not in data["also_matched"]
    marks = {m for r in data["results"] for m in re.findall(r"<mark>(.*?)</mark>", r["snippet"])}
    assert "Tokayev" in marks
    data = api(client, q="ODKB")
    assert {"CSTO", "Collective Security Treaty Organization"} <= set(data["also_matched"])
    exact = api(client, q="Tokaev", spelling="exact")
    assert all("<mark>Tokayev</mark>" not in r["snippet"] for r in exact["results"])


def test_a_phrase_of_english_words_is_left_as_it_was(client, seeded):
    """Ordinary words match only themselves: no expansion, no "also matched"."""
    for q in ("protests", '"security forces"', "revolution"):
        variants, exact = api(client, q=q), api(client, q=q, spelling="exact")
        assert files(variants) == files(exact), q
        assert variants["also_matched"] == [], q


def test_the_search_page_says_what_else_it_matched_and_the_checkbox_switches_it_off(client, seeded):
    html = client.get("/search/", {"q": "Tokaev"}).content.decode()
    assert "<strong>5</strong> articles" in html
    assert 'id="also-matched"' in html and '<span class="form">Tokayev</span>' in html
    assert 'name="spelling" value="exact">' in html  # unticked
    html = client.get("/search/", {"q": "Tokaev", "spelling": "exact"}).content.decode()
    assert "<strong>1</strong> article</span>" in html and 'id="also-matched"' not in html
    assert 'name="spelling" value="exact" checked>' in html
    assert "spelling=exact" in html.split('class="hits"')[1]  # article links keep the switch


def test_article_page_marks_the_variant_found(client, seeded):
    article = seeded[S000]
    html = client.get(f"/articles/{article.pk}/", {"q": "Tokaev"}).content.decode()
    assert "<mark>Tokayev</mark>" in html
    html = client.get(f"/articles/{article.pk}/", {"q": "Tokaev", "spelling": "exact"}).content.decode()
    assert "<mark>Tokayev</mark>" not in html


# --- the mention facet ---------------------------------------------------------------------------------


def test_mention_facet_counts_articles_per_entity(client, seeded):
    facet = {f["value"]: f["count"] for f in api(client, q="")["facets"]["mention"]}
    for entity in Entity.objects.all():
        n = len(mentioning(entity.name))
        assert facet.get(entity.name, 0) == n, entity.name
    assert facet["Karim Massimov"] == 4 and facet["Collective Security Treaty Organization"] == 4
    within = {f["value"]: f["count"] for f in api(client, q="Lukashenko")["facets"]["mention"]}
    assert within["Alexander Lukashenko"] == api(client, q="Lukashenko")["count"]


def test_mention_filter_narrows_and_repeats(client, seeded):
    data = api(client, mention="Karim Massimov")
    assert files(data) == mentioning("Karim Massimov") and data["unknown_filters"] == []
    both = api(client, mention=["Karim Massimov", "Collective Security Treaty Organization"])
    assert files(both) == mentioning("Karim Massimov") | mentioning("Collective Security Treaty Organization")
    narrowed = api(client, q="Lukashenko", mention="Karim Massimov")
    assert files(narrowed) == files(api(client, q="Lukashenko")) & mentioning("Karim Massimov")


def test_an_unknown_mention_is_reported_and_gives_zero(client, seeded):
    data = api(client, q="Tokayev", mention="Karim Masimov")  # a variant, not the canonical name
    assert data["count"] == 0 and data["results"] == []
    assert data["unknown_filters"] == [
        {
            "filter": "mention",
            "value": "Karim Masimov",
            "message": "No article in the archive has mention “Karim Masimov”.",
            "suggestion": "Karim Massimov",
        }
    ]


def test_the_search_page_has_the_mention_facet_and_chip(client, seeded):
    html = client.get("/search/", {"q": "Tokayev", "mention": "Karim Massimov"}).content.decode()
    assert "<strong>4</strong> articles" in html
    assert 'data-facet="mention"' in html and "mention: Karim Massimov" in html


# --- the alias table at query time ----------------------------------------------------------------------


def test_an_alias_added_is_searched_for_without_a_rebuild(client, seeded, django_capture_on_commit_callbacks):
    assert files(api(client, q="KGB")) == {S002}  # 002 says "except for the KGB"
    assert S002 not in files(api(client, q="KNB"))
    knb = Entity.objects.get(name="National Security Committee of Kazakhstan")
    with django_capture_on_commit_callbacks(execute=True):
        EntityVariant.objects.create(entity=knb, text="KGB", kind="other")
    # The index was not rebuilt: the alias is expanded at query time, the mention facet reindexed.
    assert S002 in files(api(client, q="KNB"))
    assert S002 in files(api(client, mention=knb.name))
    with django_capture_on_commit_callbacks(execute=True):
        EntityVariant.objects.filter(entity=knb, text="KGB").update(text="KGB")  # no signal: no change
        EntityVariant.objects.get(entity=knb, text="KGB").delete()
    assert S002 not in files(api(client, q="KNB"))
    assert S002 not in files(api(client, mention=knb.name))


def test_the_table_version_is_one_statement_and_follows_every_kind_of_edit(seeded, django_assert_num_queries):
    """The version is checked for every word a search parses: one cheap statement, which still changes
    with each edit that changes what the parser expands."""
    from articles.names import table

    def version():
        with django_assert_num_queries(1):
            return table.version()

    seen = [version()]
    knb = Entity.objects.get(name="National Security Committee of Kazakhstan")
    variant = EntityVariant.objects.create(entity=knb, text="KGB", kind="other")
    seen.append(version())
    variant.text = "KGB of Kazakhstan"
    variant.save()  # bumps its entity's updated_at
    seen.append(version())
    variant.delete()
    seen.append(version())
    Entity.objects.create(name="Kazakh Olympic Committee", kind="organisation")
    seen.append(version())
    knb.description = "Kazakhstan's security service."
    knb.save()
    seen.append(version())
    assert len(set(seen)) == len(seen), seen
    assert version() == seen[-1]  # and stays put while nothing changes


def test_renaming_an_entity_renames_its_facet_value(client, seeded, django_capture_on_commit_callbacks):
    entity = Entity.objects.get(name="Karim Massimov")
    with django_capture_on_commit_callbacks(execute=True):
        entity.name = "Karim Kazhimkanuly Massimov"
        entity.save()
    facet = {f["value"]: f["count"] for f in api(client, q="")["facets"]["mention"]}
    assert facet.get("Karim Kazhimkanuly Massimov") == 4 and "Karim Massimov" not in facet


# --- Cyrillic and Latin, both ways -----------------------------------------------------------------------

RUSSIAN = """Протесты в Жанаозене

Автор: Редакция
06.01.2022

В Жанаозене продолжаются протесты против повышения цен на газ. Президент Касым-Жомарт Токаев обратился к ОДКБ.

Жители Жанаозена вышли на площадь. Власти обещали снизить цены, но протесты распространились на Алматы.
"""


@pytest.fixture
def russian(seeded, django_capture_on_commit_callbacks):
    """A small Russian article (written for this test), ingested beside the seeds."""
    from articles.models import Article

    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_bytes("ru_zhanaozen.txt", RUSSIAN.encode(), curated=Curated([], [], {}))
    assert outcome.status == "created", outcome
    return Article.objects.get(source_file="ru_zhanaozen.txt")


def test_russian_stemmer_joins_case_forms(client, russian):
    assert "Жанаозен " not in russian.body  # only inflected forms: Жанаозене, Жанаозена
    data = api(client, q="Жанаозен")
    assert "ru_zhanaozen.txt" in files(data)
    assert "ru_zhanaozen.txt" not in files(api(client, q="Жанаозен", spelling="exact"))
    article = client.get(f"/articles/{russian.pk}/", {"q": "Жанаозен"}).content.decode()
    assert {"Жанаозене", "Жанаозена"} <= set(re.findall(r"<mark>(.*?)</mark>", article))


def test_latin_finds_cyrillic_and_cyrillic_finds_latin(client, russian):
    latin_zhanaozen = {f for f in ALL if "Zhanaozen" in russian.__class__.objects.get(source_file=f).body}
    assert latin_zhanaozen
    assert files(api(client, q="Zhanaozen")) == latin_zhanaozen | {"ru_zhanaozen.txt"}
    assert files(api(client, q="Жанаозен")) == latin_zhanaozen | {"ru_zhanaozen.txt"}
    assert files(api(client, q="Tokaev")) == ALL | {"ru_zhanaozen.txt"}
    assert files(api(client, q="Токаева")) == ALL | {"ru_zhanaozen.txt"}  # a case form, Latin seeds too
    assert "ru_zhanaozen.txt" in files(api(client, q="CSTO"))  # the alias table across scripts
    assert "ru_zhanaozen.txt" in files(api(client, q="Almaty"))
    assert "ru_zhanaozen.txt" not in files(api(client, q="Tokaev", spelling="exact"))


def test_a_cyrillic_word_that_transliterates_to_english_stays_apart(client, russian):
    """на transliterates to "na", газ to "gaz": neither meets an English word of the seeds."""
    assert files(api(client, q="газ")) == {"ru_zhanaozen.txt"}
    net = api(client, q="Нет")
    assert "ru_zhanaozen.txt" not in files(net) and net["count"] == 0
