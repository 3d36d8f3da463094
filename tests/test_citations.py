"""Citations of one article: RIS, BibLaTeX and CSL-JSON read back by independent libraries (rispy,
bibtexparser, citeproc-py), exact per seed; formatted references; embedded metadata; unAPI; the API.

Seeds: 000 PolitNavigator (news, day), 001 Al Jazeera opinion (news, month, no author), 002 a personal
blog (year), 003 InformNapalm (community site, month, translator and editor), 004 no outlet (month).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import bibtexparser
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from django.utils import timezone

from articles.citations.processor import STYLES, STYLES_DIR, render_reference
from tests.test_views import T000, T001, T002, T003, T004

F000, F001, F002, F003, F004 = (
    "000_9c5419554aa1a0fb.txt",
    "001_85c1c91c220d666a.txt",
    "002_1e562040c40c0d33.txt",
    "003_1d74b9649cbe830b.txt",
    "004_0023f067e5c2ca8b.txt",
)
# file -> (title, authors, translators, outlet, RIS TY, BibLaTeX type, CSL type, ISO date, RIS DA, date-parts)
EXPECTED = {
    F000: (T000, ["Kurmanov, Ainur"], [], "PolitNavigator", "NEWS", "article", "article-newspaper", "2022-01-06",
           "2022/01/06/", [2022, 1, 6]),
    F001: (T001, [], [], "Al Jazeera", "NEWS", "article", "article-newspaper", "2022-01", "2022/01//", [2022, 1]),
    F002: (T002, ["Giralt, Ramon"], [], "Ramon Giralt (personal blog)", "BLOG", "online", "post-weblog", "2022",
           "2022///", [2022]),
    F003: (T003, ["Hriniova, Sofia"], ["Batarchuk, Victria"], "InformNapalm", "ELEC", "online", "webpage", "2022-01",
           "2022/01//", [2022, 1]),
    F004: (T004, [], [], None, "ELEC", "online", "webpage", "2022-01", "2022/01//", [2022, 1]),
}  # fmt: skip


def get(client, article, ext):
    response = client.get(f"/articles/{article.pk}/cite.{ext}")
    assert response.status_code == 200, response.content[:300]
    return response


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ris_parses_with_rispy_exactly(client, seeded, name):
    article = seeded[name]
    title, authors, translators, outlet, ty, _, _, _, da, _ = EXPECTED[name]
    response = get(client, article, "ris")
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    [entry] = rispy.loads(response.content.decode())
    assert entry["type_of_reference"] == ty
    assert entry["title"] == title
    assert entry.get("authors", []) == authors
    assert entry.get("subsidiary_authors", []) == translators  # A4
    assert entry.get("secondary_title") == outlet  # T2
    assert entry["date"] == da and entry["year"] == "2022"
    assert entry["language"] == "en"
    permalink = f"http://testserver/articles/{article.pk}/"
    assert entry["urls"] == [permalink]  # no original URL is known for the seeds
    assert entry["access_date"] == timezone.localdate().strftime("%Y/%m/%d")
    assert entry.get("keywords", []) == article.tag_names
    assert entry["notes"] == [f"Archived in kzarchive: {permalink} (file {name}, SHA-256 {article.sha256})"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_biblatex_parses_with_bibtexparser_exactly(client, seeded, name):
    article = seeded[name]
    title, authors, translators, outlet, _, entry_type, _, iso, _, _ = EXPECTED[name]
    library = bibtexparser.parse_string(get(client, article, "bib").content.decode())
    assert not library.failed_blocks
    [entry] = library.entries
    fields = {f.key: f.value for f in entry.fields}
    assert entry.entry_type == entry_type and entry.key == f"kzarchive-{article.pk}"
    assert fields["title"] == title
    assert fields.get("author") == (" and ".join(authors) or None)
    assert fields.get("translator") == (" and ".join(translators) or None)
    assert fields.get("journaltitle" if entry_type == "article" else "titleaddon") == outlet
    assert fields["date"] == iso  # truncated to the precision, never a made-up day
    assert fields["langid"] == "english"
    assert fields["url"] == f"http://testserver/articles/{article.pk}/"
    assert fields["urldate"] == timezone.localdate().isoformat()
    if name == F003:
        assert fields["editor"] == "Velichko, Artem"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_csl_json_is_rendered_by_citeproc(client, seeded, name):
    """Plain citeproc-py (without our processor rules) reads the item and puts title and outlet in the entry."""
    article = seeded[name]
    title, authors, translators, outlet, _, _, csl_type, _, _, parts = EXPECTED[name]
    [item] = json.loads(get(client, article, "csl.json").content)
    assert item["type"] == csl_type
    assert item["issued"] == {"date-parts": [parts]}
    assert item["title"] == title and item.get("container-title") == outlet
    assert [f"{n['family']}, {n['given']}" for n in item.get("author", [])] == authors
    assert [f"{n['family']}, {n['given']}" for n in item.get("translator", [])] == translators
    assert item["URL"] == f"http://testserver/articles/{article.pk}/" and item["language"] == "en"
    today = timezone.localdate()
    assert item["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}
    style = CitationStylesStyle(str(STYLES_DIR / "apa.csl"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON([item]), formatter.plain)
    bibliography.register(Citation([CitationItem(item["id"])]))
    text = str(bibliography.bibliography()[0])
    assert title.split(".")[0].lower()[:30] in text.lower()
    assert "(2022" in text
    if outlet:
        assert outlet.lower() in text.lower()


def test_unknown_date_has_no_date_anywhere(client, seeded):
    from articles.models import Article

    article = seeded[F004]
    Article.objects.filter(pk=article.pk).update(published_date=None, date_precision="unknown")
    [entry] = rispy.loads(get(client, article, "ris").content.decode())
    assert "date" not in entry and "year" not in entry
    fields = {f.key for f in bibtexparser.parse_string(get(client, article, "bib").content.decode()).entries[0].fields}
    assert "date" not in fields
    [item] = json.loads(get(client, article, "csl.json").content)
    assert "issued" not in item
    assert "(n.d.)" in client.get(f"/articles/{article.pk}/").content.decode()  # APA says so; no year invented


# --- formatted references ---------------------------------------------------------------------------------


def test_formatted_references_on_the_page(client, seeded):
    a000, a001, a003 = seeded[F000], seeded[F001], seeded[F003]
    page = client.get(f"/articles/{a000.pk}/").content.decode()
    url = f"http://testserver/articles/{a000.pk}/"
    # The old hand-made citation read "… chance?.”": the processor drops the period after "?".
    assert (
        "Kurmanov, Ainur. 2022. “Power in Kazakhstan Passes to the Triumvirate. Does Russia Have a Chance?” "
        f"<i>PolitNavigator</i>, January 6. {url}." in page
    )
    assert (
        "Kurmanov, A. (2022, January 6). Power in Kazakhstan passes to the triumvirate. Does Russia have a chance? "
        f"<i>PolitNavigator</i>. {url}" in page
    )
    assert "?." not in page and "?”." not in page
    page = client.get(f"/articles/{a001.pk}/").content.decode()
    url = f"http://testserver/articles/{a001.pk}/"
    # Unsigned: the outlet (Chicago) or the title (APA) takes the author's place and is not repeated.
    assert f"<i>Al Jazeera</i>. 2022. “Kazakhstan: Coup, Counter-coup and Russian Victory.” January. {url}." in page
    assert f"Kazakhstan: Coup, counter-coup and Russian victory. (2022, January). <i>Al Jazeera</i>. {url}" in page
    page = client.get(f"/articles/{a003.pk}/").content.decode()
    url = f"http://testserver/articles/{a003.pk}/"
    assert (
        "Hriniova, Sofia. 2022. “Kazakhstan Is a New Pandora’s Box for the Russian Federation.” Edited by Artem "
        f"Velichko. Translated by Victria Batarchuk. InformNapalm, January. {url}." in page
    )
    assert (
        "Hriniova, S. (2022, January). <i>Kazakhstan is a new Pandora’s box for the Russian Federation</i> "
        f"(A. Velichko, ed.; V. Batarchuk, trans.). InformNapalm. {url}" in page
    )


def render(item, style="chicago"):
    return render_reference({"id": "x", "type": "article-newspaper", **item}, style)


def test_processor_punctuation_and_substitution_rules():
    base = {"container-title": "Daily", "issued": {"date-parts": [[2022, 1]]}}
    # 1. no period after ?/! inside quotes; 2. punctuation moves inside quotes in US English
    assert "“Why?” <i>Daily</i>" in render({**base, "title": "Why?", "author": [{"family": "Roe", "given": "Al"}]})
    assert "“Plain.” <i>Daily</i>" in render({**base, "title": "Plain", "author": [{"family": "Roe", "given": "Al"}]})
    assert "Why? <i>Daily</i>" in render({**base, "title": "Why?", "author": [{"family": "Roe"}]}, "apa")
    # 2. substitution: an unsigned article's title is printed once
    assert render({**base, "title": "Unsigned"}, "apa").count("Unsigned") == 1
    # 3. no label without its variable; 4. initialize="false": whole given names in Chicago
    chicago = render({**base, "title": "T", "author": [{"family": "Roe", "given": "Alice"}]})
    assert "Edition" not in chicago and chicago.startswith("Roe, Alice.")
    # 5. title case after an opening bracket
    assert "<i>Daily (Personal Blog)</i>" in render({**base, "title": "T", "container-title": "Daily (personal blog)"})


def test_formatted_references_escape_everything():
    html = render({"title": "<script>alert(1)</script> & \ue000", "container-title": "<b>bold</b>"})
    assert "<script>" not in html and "&lt;script&gt;" in html.lower() and "<b>" not in html and "&amp;" in html
    assert "\ue000" not in html


def test_shipped_styles_and_licence():
    for _label, filename in STYLES.values():
        text = (STYLES_DIR / filename).read_text()
        assert "creativecommons.org/licenses/by-sa/3.0" in text
    assert "CC BY-SA 3.0" in (STYLES_DIR / "README.md").read_text()


# --- embedded metadata, unAPI, API ------------------------------------------------------------------------


def meta(html):
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "meta" and ("name" in a or "property" in a):
                found.append((a.get("name") or a.get("property"), a["content"]))

    P().feed(html)
    return found


def test_embedded_metadata_for_zotero(client, seeded):
    a = seeded[F003]
    tags = meta(client.get(f"/articles/{a.pk}/").content.decode())
    d = dict(tags)
    assert d["z:itemType"] == "webpage" and d["citation_title"] == T003
    assert [v for k, v in tags if k == "citation_author"] == ["Sofia Hriniova"]
    assert d["citation_date"] == "2022-01" and d["citation_language"] == "en"
    assert d["og:site_name"] == "InformNapalm" and d["og:title"] == T003 and d["DC.source"] == "InformNapalm"
    assert d["DC.date"] == "2022-01" and d["z:translators"] == "Batarchuk, Victria"
    assert not any(k.startswith("citation_journal") for k, _ in tags)
    kinds = {f: dict(meta(client.get(f"/articles/{seeded[f].pk}/").content.decode()))["z:itemType"] for f in EXPECTED}
    assert kinds == {F000: "newspaperArticle", F001: "newspaperArticle", F002: "blogPost", F003: "webpage",
                     F004: "webpage"}  # fmt: skip
    assert dict(meta(client.get(f"/articles/{seeded[F002].pk}/").content.decode()))["citation_date"] == "2022"


def test_unapi_responses(client, seeded):
    a = seeded[F000]
    response = client.get("/unapi")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    names = [f.get("name") for f in ET.fromstring(response.content).iter("format")]
    assert names == ["ris", "biblatex", "csl-json"]  # "ris" is the name Zotero's unAPI reader looks for
    response = client.get(f"/unapi?id={a.pk}")
    assert response.status_code == 300 and ET.fromstring(response.content).get("id") == str(a.pk)
    response = client.get(f"/unapi?id={a.pk}&format=ris")
    assert response.status_code == 200 and rispy.loads(response.content.decode())[0]["title"] == T000
    response = client.get(f"/unapi?id={a.pk}&format=csl-json")
    assert response.status_code == 200 and json.loads(response.content)[0]["type"] == "article-newspaper"
    assert client.get(f"/unapi?id={a.pk}&format=marc").status_code == 406
    assert client.get("/unapi?id=999999&format=ris").status_code == 404
    assert client.get("/unapi?id=abc").status_code == 404
    assert client.get("/unapi?format=ris").status_code == 400


def test_results_page_offers_unapi(client, seeded):
    html = client.get("/search/?q=Massimov").content.decode()
    assert '<link rel="unapi-server" type="application/xml" title="unAPI" href="/unapi">' in html
    assert html.count('class="unapi-id"') == 4  # three write "Massimov", one "Masimov"


def test_api_article_formats(client, seeded):
    a = seeded[F002]
    response = client.get(f"/api/articles/{a.pk}?format=ris")
    assert response.status_code == 200 and rispy.loads(response.content.decode())[0]["type_of_reference"] == "BLOG"
    response = client.get(f"/api/articles/{a.pk}?format=csl.json")
    assert json.loads(response.content)[0]["issued"] == {"date-parts": [[2022]]}
    assert client.get(f"/api/articles/{a.pk}?format=doc").json()["error"].startswith("format must be one of")
    assert client.get(f"/api/articles/{a.pk}").json()["title"] == T002  # JSON as before
    assert client.get(f"/articles/{a.pk}/cite.doc").status_code == 404
    assert client.get("/articles/999999/cite.ris").status_code == 404


def test_biblatex_escapes_tex_specials_with_pylatexenc(client, seeded):
    from articles.models import Article

    a = seeded[F003]
    Article.objects.filter(pk=a.pk).update(title="50% of {Kazakh} oil & gas_#1 ~ $5 \\ Токаев")
    text = get(client, a, "bib").content.decode()
    assert r"50\% of \{Kazakh\} oil \& gas\_\#1 \textasciitilde{} \$5 \textbackslash{} Токаев" in text
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks and len(library.entries) == 1
