"""The HTML pages through Django's test client, on the five seed articles (and one hostile article).

Counts are exact: the seeds are five known articles (000..004); 002 is dated to the year only, so it
counts under 2022 but not under January 2022. Pages are parsed with html.parser, so "inert" means no
element, attribute or URL the browser would act on, not just the absence of a substring.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
TEMPLATES = REPO / "templates"
STATIC = REPO / "static"
SEEDS_DIR = REPO / "fixtures" / "seeds"

T000 = "Power in Kazakhstan passes to the triumvirate. Does Russia have a chance?"
T001 = "Kazakhstan: Coup, counter-coup and Russian victory"
T002 = "The dust is settling in Kazakhstan yet I can’t see clearly"
T003 = "Kazakhstan is a new Pandora’s box for the Russian Federation"
T004 = "The bloodshed in Kazakhstan, the internal power struggle, what Putin is up to and what it means for the world"
ALL_TITLES = {T000, T001, T002, T003, T004}
NEWEST = [T000, T003, T001, T004, T002]  # 6 Jan; then the Jan-1-starting spans in title order
OLDEST = [T003, T001, T004, T002, T000]

# --- the hostile article ---------------------------------------------------------------------------

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
JS_LINK = '<a href="javascript:window.__xss=1">click me</a>'
ALERT = "<svg onload=alert(1)></svg>"
HOSTILE_WORD = "zanzibarquux"
HOSTILE_TITLE = f"{HOSTILE_WORD} {SCRIPT} {IMG} headline"
HOSTILE_AUTHOR = f"Mallory {IMG}"
HOSTILE_OUTLET = f"Evil {SCRIPT} Gazette"
HOSTILE_STANCE = f"Hostile {IMG} stance"
HOSTILE_BODY = "\n\n".join(
    [
        f"{HOSTILE_WORD} opens with {SCRIPT} and then {IMG} in the middle.",
        f"Second paragraph: {JS_LINK} and a bare javascript:window.__xss=1 plus {ALERT}.",
        f'"><script>alert(1)</script> closes an attribute, {HOSTILE_WORD} again.',
    ]
)


def make_hostile_article():
    """An article whose every shown field carries markup; saved in one transaction (indexed on commit)."""
    from django.db import transaction

    from articles.models import Article, Credit, Person, Source, StanceCategory, Tag

    with transaction.atomic():
        source = Source.objects.create(
            name=HOSTILE_OUTLET,
            homepage="javascript:window.__xss=1",
            description=f"Outlet description {SCRIPT}",
        )
        stance = StanceCategory.objects.create(name=HOSTILE_STANCE, description=f"Stance {IMG}", position=99)
        person = Person.objects.create(name=HOSTILE_AUTHOR)
        raw = f"Title: {HOSTILE_TITLE}\nAuthor: {HOSTILE_AUTHOR}\n\n{HOSTILE_BODY}\n"
        article = Article.objects.create(
            title=HOSTILE_TITLE,
            source=source,
            stance=stance,
            stance_rationale=f"Because {SCRIPT}",
            published_date=dt.date(2022, 1, 9),
            date_precision="day",
            date_note=f"Note {IMG}",
            url="javascript:window.__xss=1",
            description=f"Description {SCRIPT}",
            body=HOSTILE_BODY,
            references=[f"Ref {JS_LINK}", f"Ref {SCRIPT}"],
            source_file="hostile.html",
            raw_bytes=raw.encode(),
            raw_text=raw,
            sha256=hashlib.sha256(raw.encode()).hexdigest(),
        )
        Credit.objects.create(article=article, person=person, role="author")
        article.tags.add(Tag.objects.create(name=f"tag {SCRIPT}"))
    return article


# --- reading pages ---------------------------------------------------------------------------------


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# The one script of every page (static/js/progressive.js, articles/progressive.py): a file of this site, never
# inline; everything else a page holds must be inert.
OUR_SCRIPT = '<script src="/static/js/progressive.js" defer></script>'


def without_our_script(html: str) -> str:
    assert html.count(OUR_SCRIPT) <= 1
    return html.replace(OUR_SCRIPT, "", 1)


class Page(HTMLParser):
    """The parts of a rendered page the tests look at."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.tags: list[tuple[str, dict]] = []
        self.scripts = 0
        self.count: int | None = None
        self.titles: list[str] = []
        self.chips: list[tuple[str, str]] = []  # (label, href)
        self.facets: dict[str, list[tuple[str, int, bool]]] = {}  # name -> (value, count, selected)
        self.facet_hrefs: dict[tuple[str, str], str] = {}
        self._stack: list[str] = []
        self._mode: str | None = None
        self._buf: list[str] = []
        self._facet: str | None = None
        self._link: dict | None = None
        self._current: tuple[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        classes = set((a.get("class") or "").split())
        open_tags = [t for t, _ in self._stack]
        in_hit = any("hit" in c for _, c in self._stack)
        if tag == "script" and a.get("src") != "/static/js/progressive.js":
            self.scripts += 1
        if tag == "section" and "facet" in classes:
            self._facet = a.get("data-facet")
            self.facets[self._facet] = []
        if tag == "p" and a.get("id") == "result-count":
            self._mode, self._buf = "count", []
        elif tag == "a" and "chip" in classes:
            self._mode, self._buf, self._link = "chip", [], a
        elif tag == "a" and in_hit and open_tags[-1:] == ["h2"]:
            self._mode, self._buf = "title", []
        elif tag == "a" and self._facet and open_tags[-1:] == ["li"]:
            self._mode, self._buf, self._link = "facet", [], a
        elif tag == "span" and "n" in classes and self._current:
            self._mode, self._buf = "facet-n", []
        if tag not in VOID:
            self._stack.append((tag, classes))

    def handle_endtag(self, tag):
        text = " ".join("".join(self._buf).split())
        if tag == "p" and self._mode == "count":
            self.count = int(text.split()[0])
            self._mode = None
        elif tag == "a" and self._mode == "chip":
            self.chips.append((text.rstrip(" ×"), self._link.get("href")))
            self._mode = None
        elif tag == "a" and self._mode == "title":
            self.titles.append(text)
            self._mode = None
        elif tag == "a" and self._mode == "facet":
            self._current = (text, self._link)
            self._mode = None
        elif tag == "span" and self._mode == "facet-n":
            value, link = self._current
            self.facets[self._facet].append((value, int(text), "selected" in (link.get("class") or "")))
            self.facet_hrefs[(self._facet, value)] = link.get("href")
            self._current, self._mode = None, None
        elif tag == "section":
            self._facet = None
        if tag in VOID:
            return
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self._mode:
            self._buf.append(data)

    def facet(self, name) -> dict[str, int]:
        return {v: n for v, n, _ in self.facets.get(name, [])}

    def selected(self, name) -> list[str]:
        return [v for v, _, s in self.facets.get(name, []) if s]


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, f"{url}: {response.status_code}"
    return response


def page(client, url) -> Page:
    response = get(client, url)
    assert response["Content-Type"].startswith("text/html")
    return Page(response.content.decode())


def assert_inert(p: Page, where: str):
    """Nothing in the page would run: no script element, no on* attribute, no javascript:/data: URL."""
    assert p.scripts == 0, f"{where}: a <script> element"
    for tag, attrs in p.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value:
                scheme = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (
                    f"{where}: <{tag} {name}={value!r}>"
                )
        assert tag not in {"svg", "iframe", "object", "embed", "img"}, f"{where}: <{tag}> from content"
    assert "<script" not in without_our_script(p.html).lower(), where
    assert "<img" not in p.html.lower(), where


# --- every page answers ----------------------------------------------------------------------------


def seed(seeded, prefix: str):
    return next(a for name, a in seeded.items() if name.startswith(prefix))


PAGES = [
    "/",
    "/search/?q=Tokayev",
    "/search/",
    "/search/help/",
    "/articles/{a000}/",
    "/articles/{a002}/?q=Massimov",
    "/outlets/",
    "/outlets/al-jazeera/",
    "/people/",
    "/people/sofia-hriniova/",
    "/people/victria-batarchuk/",
    "/stances/",
    "/stances/analytical/",
    "/dates/",
    "/dates/2022/",
    "/dates/2022/1/",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_answers(client, seeded, path):
    url = path.format(a000=seed(seeded, "000").pk, a002=seed(seeded, "002").pk)
    response = get(client, url)
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "style-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert '<label for="q"' in html  # the search box is labelled on every page
    assert ' style="' not in html and "<script" not in without_our_script(html) and OUR_SCRIPT in html
    assert 'href="http' not in html.split("<main", 1)[0]  # nothing in the head/header from elsewhere


def test_raw_original_is_plain_text_verbatim(client, seeded):
    for article in seeded.values():
        response = get(client, f"/articles/{article.pk}/raw/")
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response.content.decode("utf-8") == article.raw_text
        # the seeds are UTF-8 files, so the bytes come back exactly as they are on disk
        assert response.content == bytes(article.raw_bytes) == (SEEDS_DIR / article.source_file).read_bytes()


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=Tokayev&page=2",  # 5 results, 20 a page: one page only
        "/search/?q=Tokayev&page=0",
        "/search/?q=Tokayev&page=-1",
        pytest.param("/search/?q=Tokayev&page=3&page_size=2&outlet=Al+Jazeera", marks=pytest.mark.requires("filters")),
        "/?page=99",
        pytest.param("/outlets/al-jazeera/?page=2", marks=pytest.mark.requires("filters")),
        "/articles/999999/",
        "/articles/999999/raw/",
        "/outlets/no-such-outlet/",
        "/people/no-such-person/",
        "/stances/no-such-stance/",
        "/dates/2022/13/",
        "/dates/2022/0/",
        "/dates/0/",
    ],
)
def test_not_found(client, seeded, url):
    response = get(client, url, status=404)
    assert "Not found" in response.content.decode()


def test_malformed_parameters_are_explained_not_500(client, seeded):
    p = page(client, "/search/?q=Tokayev&page=abc")
    assert "page must be a whole number" in p.html
    p = page(client, "/search/?q=Tokayev&sort=sideways")
    assert "sort must be one of relevance, newest, oldest" in p.html
    p = page(client, "/search/?from=2022-13")
    assert "from must be a date like 2022, 2022-01 or 2022-01-06" in p.html


# --- results, facets, chips ------------------------------------------------------------------------


@pytest.mark.requires("sorting", "facets")
def test_home_lists_all_five_newest_first_with_facets(client, seeded):
    p = page(client, "/")
    assert p.count == 5
    assert p.titles == NEWEST
    assert p.facet("outlet") == {
        "Al Jazeera": 1,
        "InformNapalm": 1,
        "PolitNavigator": 1,
        "Ramon Giralt (personal blog)": 1,
        "Unknown outlet": 1,  # 004: a value to count and filter like any outlet
    }
    assert p.facet("author") == {"Ainur Kurmanov": 1, "Ramon Giralt": 1, "Sofia Hriniova": 1, "No author named": 2}
    assert p.facet("stance") == {
        "Analytical, no clear side": 2,
        "Critical of Russia's role": 2,
        "Supportive of Russia's role": 1,
    }
    assert p.facet("year") == {"2022": 5}
    assert p.chips == []


@pytest.mark.requires("facets", "highlighting")
def test_search_counts_titles_and_facets(client, seeded):
    p = page(client, "/search/?q=Massimov&spelling=exact")  # as written (with variants, Masimov too: 4)
    assert p.count == 3
    assert set(p.titles) == {T001, T002, T003}
    assert p.facet("outlet") == {"Al Jazeera": 1, "InformNapalm": 1, "Ramon Giralt (personal blog)": 1}
    assert p.facet("stance") == {"Analytical, no clear side": 2, "Critical of Russia's role": 1}
    assert "“Massimov”" in p.html
    # snippets are in the results, marked
    assert p.html.count("<mark>") >= 3


@pytest.mark.requires("facets", "filters")
def test_facet_link_adds_a_filter_and_the_chip_removes_it(client, seeded):
    p = page(client, "/search/?q=Tokayev")
    assert p.count == 5
    href = p.facet_hrefs[("stance", "Critical of Russia's role")]
    assert parse_qs(urlsplit(href).query) == {"q": ["Tokayev"], "stance": ["Critical of Russia's role"]}

    p = page(client, "/search/" + href)
    assert p.count == 2
    assert set(p.titles) == {T003, T004}
    assert p.selected("stance") == ["Critical of Russia's role"]
    assert p.chips == [("stance: Critical of Russia's role", "?q=Tokayev")]
    # the facet counts follow the filter, and add up to the results: 004 has no known outlet
    assert p.facet("outlet") == {"InformNapalm": 1, "Unknown outlet": 1}

    # a second facet: AND across facets
    p = page(client, "/search/" + p.facet_hrefs[("outlet", "InformNapalm")])
    assert p.count == 1
    assert p.titles == [T003]
    labels = [label for label, _ in p.chips]
    assert labels == ["outlet: InformNapalm", "stance: Critical of Russia's role"]

    # removing one chip keeps the other filter
    stance_chip = dict(p.chips)["stance: Critical of Russia's role"]
    p = page(client, "/search/" + stance_chip)
    assert p.count == 1
    assert [label for label, _ in p.chips] == ["outlet: InformNapalm"]
    p = page(client, "/search/" + p.chips[0][1])
    assert p.count == 5
    assert p.chips == []


@pytest.mark.requires("filters")
def test_two_values_of_one_facet_mean_either(client, seeded):
    p = page(client, "/?stance=Analytical,+no+clear+side&stance=Critical+of+Russia%27s+role")
    assert p.count == 4
    assert set(p.titles) == ALL_TITLES - {T000}
    assert len(p.chips) == 2


@pytest.mark.requires("filters")
def test_date_range_chip(client, seeded):
    p = page(client, "/?from=2022-01&to=2022-01")
    assert p.count == 4
    assert T002 not in p.titles
    assert [label for label, _ in p.chips] == ["from: 2022-01", "to: 2022-01"]


@pytest.mark.requires("sorting", "ranking")
def test_sort_links(client, seeded):
    p = page(client, "/search/?q=Tokayev")
    assert re.search(r'<strong aria-current="true">Relevance</strong>', p.html)
    assert page(client, "/search/?q=Tokayev&sort=newest").titles == NEWEST
    assert page(client, "/search/?q=Tokayev&sort=oldest").titles == OLDEST


@pytest.mark.requires("sorting")
def test_pages_of_two(client, seeded):
    p = page(client, "/search/?q=Tokayev&sort=oldest&page_size=2")
    assert p.titles == OLDEST[:2]
    assert "page 1 of 3" in p.html
    assert 'rel="next"' in p.html and 'rel="prev"' not in p.html
    p = page(client, "/search/?q=Tokayev&sort=oldest&page_size=2&page=3")
    assert p.titles == OLDEST[4:]
    assert 'rel="prev"' in p.html and 'rel="next"' not in p.html


@pytest.mark.requires("filters")
def test_preset_pages_show_their_subset_without_a_chip(client, seeded):
    p = page(client, "/outlets/al-jazeera/")
    assert (p.count, p.titles, p.chips) == (1, [T001], [])
    assert "outlet" not in p.facets  # the outlet is fixed on its own page
    p = page(client, "/stances/critical-of-russia/")
    assert (p.count, set(p.titles), p.chips) == (2, {T003, T004}, [])
    p = page(client, "/stances/critical-of-russia/?q=Pandora")
    assert (p.count, p.titles) == (1, [T003])


def test_index_lists_with_counts(client, seeded):
    def items(url):
        return re.findall(r'<li><a href="([^"]+)">([^<]+)</a> <span class="n">(\d+)</span>', page(client, url).html)

    assert sorted(items("/outlets/")) == [
        ("/outlets/al-jazeera/", "Al Jazeera", "1"),
        ("/outlets/informnapalm/", "InformNapalm", "1"),
        ("/outlets/politnavigator/", "PolitNavigator", "1"),
        ("/outlets/ramon-giralt-personal-blog/", "Ramon Giralt (personal blog)", "1"),
    ]
    assert items("/people/") == [
        ("/people/ainur-kurmanov/", "Ainur Kurmanov", "1"),
        ("/people/artem-velichko/", "Artem Velichko", "1"),
        ("/people/ramon-giralt/", "Ramon Giralt", "1"),
        ("/people/sofia-hriniova/", "Sofia Hriniova", "1"),
        ("/people/victria-batarchuk/", "Victria Batarchuk", "1"),
    ]
    assert sorted(items("/stances/")) == [
        ("/stances/analytical/", "Analytical, no clear side", "2"),
        ("/stances/critical-of-russia/", "Critical of Russia&#x27;s role", "2"),
        ("/stances/supportive-of-russia/", "Supportive of Russia&#x27;s role", "1"),
    ]


def test_index_lists_in_a_stable_order(client, seeded):
    html = page(client, "/stances/").html
    names = re.findall(r'<li><a href="/stances/([^/]+)/">', html)
    assert names == ["supportive-of-russia", "analytical", "critical-of-russia"]  # the curators' positions
    html = page(client, "/outlets/").html
    names = re.findall(r'<li><a href="/outlets/([^/]+)/">', html)
    assert names == ["al-jazeera", "informnapalm", "politnavigator", "ramon-giralt-personal-blog"]


# --- dates -----------------------------------------------------------------------------------------


def test_dates_overview_counts_each_article_at_its_precision(client, seeded):
    html = page(client, "/dates/").html
    assert re.search(r'<a href="/dates/2022/">2022</a> <span class="n">5 articles</span>', html)
    assert re.search(r'<a href="/dates/2022/1/">2022-01</a> <span class="n">4 articles</span>', html)
    assert re.search(r'month unknown <span class="n">1 article</span>', html)
    assert "Date unknown" not in html


@pytest.mark.requires("filters")
def test_year_page_counts_the_year_only_article(client, seeded):
    p = page(client, "/dates/2022/")
    assert p.count == 5
    assert p.titles == OLDEST
    assert "Published in 2022" in p.html


@pytest.mark.requires("filters")
def test_month_page_leaves_out_the_year_only_article(client, seeded):
    p = page(client, "/dates/2022/1/")
    assert p.count == 4
    assert set(p.titles) == ALL_TITLES - {T002}
    assert "Published in January 2022" in p.html
    assert page(client, "/dates/2022/2/").count == 0


# --- the article page ------------------------------------------------------------------------------


def test_article_page_metadata_provenance_and_citation(client, seeded):
    a = seed(seeded, "003")
    html = page(client, f"/articles/{a.pk}/").html
    assert f"<h1>{T003}</h1>" in html
    assert '<a href="/outlets/informnapalm/">InformNapalm</a>' in html
    assert '<a href="/people/sofia-hriniova/">Sofia Hriniova</a>' in html
    assert '<time datetime="2022-01">January 2022</time>' in html
    assert a.sha256 in html
    assert f'href="/articles/{a.pk}/raw/"' in html
    assert f"http://testserver/articles/{a.pk}/" in html  # the citation's permalink
    assert "<mark>" not in html


@pytest.mark.requires("highlighting")
def test_article_page_highlights_the_query_and_links_back(client, seeded):
    a = seed(seeded, "002")
    html = page(client, f"/articles/{a.pk}/?q=Massimov").html
    marks = re.findall(r"<mark>([^<]+)</mark>", html)
    assert marks and all(m.casefold().startswith("massimov") for m in marks)
    assert 'href="/search/?q=Massimov"' in html


# --- hostile content -------------------------------------------------------------------------------


@pytest.fixture
def hostile(seeded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return make_hostile_article()


def hostile_pages(article):
    from articles.models import Person, StanceCategory

    outlet = article.source
    return [
        "/",
        f"/search/?q={HOSTILE_WORD}",
        f"/search/?q={HOSTILE_WORD}&outlet={outlet.name}",  # a chip with the hostile name
        f"/search/?q={HOSTILE_WORD}&author={HOSTILE_AUTHOR}&stance={HOSTILE_STANCE}",
        "/search/?q=" + SCRIPT,  # the query itself echoed back
        "/search/?q=" + IMG + "&from=" + SCRIPT,  # a rejected parameter echoed in the error
        f"/articles/{article.pk}/",
        f"/articles/{article.pk}/?q={HOSTILE_WORD}",
        f"/articles/{article.pk}/?q=script+img+onerror+javascript+xss+alert",
        f"/articles/{article.pk}/?q=" + SCRIPT,
        "/outlets/",
        outlet.get_absolute_url(),
        "/people/",
        Person.objects.get(name=HOSTILE_AUTHOR).get_absolute_url(),
        "/stances/",
        StanceCategory.objects.get(name=HOSTILE_STANCE).get_absolute_url(),
        "/dates/",
        "/dates/2022/",
        "/dates/2022/1/",
    ]


@pytest.mark.requires("filters")
def test_hostile_article_is_inert_on_every_page(client, hostile):
    from django.utils.http import urlencode

    for url in hostile_pages(hostile):
        path, _, query = url.partition("?")
        if query:  # encode what a browser would send
            pairs = [kv.partition("=") for kv in query.split("&")]
            url = path + "?" + urlencode([(k, v) for k, _, v in pairs])
        p = page(client, url)
        assert_inert(p, url)
        if url != "/dates/":  # the only page that names no article, outlet or person
            assert "&lt;script&gt;" in p.html or "&lt;img" in p.html, f"{url}: the hostile text is not shown escaped"


@pytest.mark.requires("filters", "facets", "highlighting")
def test_hostile_article_found_with_escaped_snippet(client, hostile):
    assert page(client, "/search/?" + urlencode_pairs(outlet=HOSTILE_OUTLET)).count == 1
    p = page(client, f"/search/?q={HOSTILE_WORD}")
    assert p.count == 1
    assert p.titles == [HOSTILE_TITLE]  # the markup is shown as text
    assert "<mark>zanzibarquux</mark> opens with &lt;script&gt;window.__xss=1&lt;/script&gt;" in p.html
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in p.html
    assert p.facet("outlet") == {HOSTILE_OUTLET: 1}
    assert p.facet("author") == {HOSTILE_AUTHOR: 1}


@pytest.mark.requires("filters")
def test_facet_values_with_quotes_can_be_filtered(client, hostile):
    assert page(client, "/search/?" + urlencode_pairs(author=HOSTILE_AUTHOR)).count == 1
    assert page(client, "/search/?" + urlencode_pairs(stance=HOSTILE_STANCE)).count == 1


def urlencode_pairs(**kw):
    from django.utils.http import urlencode

    return urlencode(kw)


@pytest.mark.requires("highlighting")
def test_hostile_article_page_shows_the_markup_as_text(client, hostile):
    p = page(client, f"/articles/{hostile.pk}/?q=script")
    assert p.html.count("&lt;<mark>script</mark>&gt;") >= 2
    assert "&lt;a href=&quot;javascript:window.__xss=1&quot;&gt;click me&lt;/a&gt;" in p.html
    # javascript: URLs (the article's and the outlet's) are shown, never linked
    assert "javascript:window.__xss=1" in p.html
    hrefs = [a.get("href", "") for tag, a in p.tags if tag == "a"]
    assert not [h for h in hrefs if "javascript" in h.lower()]
    p = page(client, hostile.source.get_absolute_url())
    assert not [a for tag, a in p.tags if tag == "a" and "javascript" in (a.get("href") or "").lower()]


def test_hostile_raw_original_is_plain_text(client, hostile):
    response = get(client, f"/articles/{hostile.pk}/raw/")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == bytes(hostile.raw_bytes)


# --- templates and static files --------------------------------------------------------------------


def test_templates_have_no_inline_script_style_or_remote_assets():
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        name = path.relative_to(REPO)
        if path.name == "base.html":  # the one script, a static file (articles/progressive.py)
            text = text.replace("""<script src="{% static 'js/progressive.js' %}" defer></script>""", "", 1)
        assert "<script" not in text.lower(), f"{name}: inline or remote script (CSP: script-src 'self')"
        assert "<style" not in text.lower(), f"{name}: <style> block (CSP: style-src 'self')"
        assert not re.search(r"\sstyle\s*=", text), f"{name}: style= attribute (CSP: style-src 'self')"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{name}: inline event handler"
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), f"{name}: an asset from another site"
    for path in sorted(STATIC.rglob("*.css")):
        text = path.read_text()
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), f"{path}: remote url()"
        assert "@import" not in text, f"{path}: @import"


def test_print_stylesheet_hides_navigation_and_facets():
    css = (STATIC / "css" / "kzarchive.css").read_text()
    print_block = css.split("@media print", 1)[1]
    for selector in ("header.site", "footer.site", ".facets", ".skip"):
        assert selector in print_block
