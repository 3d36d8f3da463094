"""HTML article extraction (articles.extraction.html) on real saved pages and hostile input.

Plain pytest functions, no database, no Django: the extractor is pure Python.
Real pages live in tests/data/html/ (provenance in its README.md).
"""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from articles.extraction.decoding import decode_html
from articles.extraction.html import extract_html
from articles.extraction.types import DAY, UNKNOWN, Credit, Extracted

DATA = Path(__file__).resolve().parent / "data" / "html"

try:  # the exact body expectations below are trafilatura's (with our cleanup)
    import trafilatura  # noqa: F401

    TRAFILATURA_ERROR = ""
except ImportError as exc:  # e.g. lxml>=5.2 without lxml_html_clean
    TRAFILATURA_ERROR = str(exc)
needs_trafilatura = pytest.mark.skipif(bool(TRAFILATURA_ERROR), reason=f"trafilatura: {TRAFILATURA_ERROR}")


def test_trafilatura_is_importable():
    assert not TRAFILATURA_ERROR, (
        f"trafilatura cannot be imported ({TRAFILATURA_ERROR}); install lxml_html_clean==0.4.6 "
        "(lxml>=5.2 moved lxml.html.clean out). Without it bodies come from the built-in scorer."
    )


def load(name: str) -> Extracted:
    return extract_html((DATA / name).read_bytes(), filename=name)


def all_text(ex: Extracted) -> str:
    """Every string field of an extraction, joined (for 'nothing leaked' checks)."""
    parts = [
        ex.title,
        ex.site_name,
        ex.url,
        ex.language,
        ex.description,
        *ex.tags,
        *ex.paragraphs,
        *ex.removed,
        *ex.references,
        *(c.name for c in ex.credits),
        *(c.role for c in ex.credits),
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- real pages
REAL = [
    # file, title, authors, date, precision, site name, first paragraph, last paragraph
    (
        "readability-001.html",
        "Get your Frontend JavaScript Code Covered",
        ["Nicolas Perriault"],
        "2013-09-29",
        DAY,
        "",
        "So finally you're testing your frontend JavaScript code? Great! The more you write tests, the more "
        "confident you are with your code… but how much precisely? That's where code coverage might help.",
        "So is code coverage silver bullet? No. Is it useful? Definitely. Happy testing!",
    ),
    (
        "readability-ars-1.html",
        "Just-released Minecraft exploit makes it easy to crash game servers",
        ["Dan Goodin"],
        "2015-04-16",
        DAY,
        "Ars Technica",
        "A flaw in the wildly popular online game Minecraft makes it easy for just about anyone to crash the server "
        "hosting the game, according to a computer programmer who has released proof-of-concept code that exploits "
        "the vulnerability.",
        "Ars is asking Mojang for comment and will update this post if company officials respond.",
    ),
    (
        "readability-gitlab-blog.html",
        "3 surprising findings from our 2024 Global DevSecOps Survey",
        ["Dave Steer"],
        "2024-06-25",
        DAY,
        "GitLab",
        "This year’s survey of more than 5,000 DevSecOps professionals worldwide suggests that as organizations "
        "adopt new technologies such as AI, they're reevaluating investment priorities and looking more critically "
        "at how they can improve the developer experience. Here's a look at three of the more surprising results "
        "from this year's survey, and what they could mean for software development, operations, and security "
        "teams in 2024 and beyond.",
        "Read the full 2024 Global DevSecOps Report for more insights on AI, security, developer experience, and more.",
    ),
    (
        "readability-heise.html",
        "1Password für Mac generiert Einmal-Passwörter",
        ["Mac & i"],
        "2015-04-08",
        DAY,
        "Mac & i",
        "Das in der iOS-Version bereits enthaltene TOTP-Feature ist nun auch für OS X 10.10 verfügbar. Zudem gibt "
        "es neue Zusatzfelder in der Datenbank und weitere Verbesserungen.",
        "(bsc)",
    ),
    (
        "readability-iab-1.html",
        "Getting LEAN with Digital Ad UX",
        ["Scott Cunningham"],
        "2015-10-15",
        DAY,
        "IAB",
        "We messed up. As technologists, tasked with delivering content and services to users, we lost track of "
        "the user experience.",
        "IAB Tech Lab Members can join the IAB Tech Lab Ad Blocking Working Group, please email adblocking@iab.com "
        "for more information.",
    ),
    (
        "readability-lemonde-1.html",
        "Le projet de loi sur le renseignement massivement approuvé à l'Assemblée",
        ["Martin Untersinger", "Damien Leloup", "Morgane Tual"],
        "2015-05-04",
        DAY,
        "Le Monde.fr",
        "Les députés ont, sans surprise, adopté à une large majorité (438 contre 86 et 42 abstentions) le projet de "
        "loi sur le renseignement défendu par le gouvernement lors d’un vote solennel, mardi 5 mai. Il sera "
        "désormais examiné par le Sénat, puis le Conseil constitutionnel, prochainement saisi par 75 députés. Dans "
        "un souci d'apaisement, François Hollande avait annoncé par avance qu'il saisirait les Sages.",
        "La loi prévoit également une forme de protection pour les agents qui seraient témoins de surveillance "
        "illégale. Ces lanceurs d’alerte pourraient solliciter la CNCTR, voire le premier ministre, et leur fournir "
        "toutes les pièces utiles. La CNCTR pourra ensuite aviser le procureur de la République et solliciter la "
        "Commission consultative du secret de la défense nationale afin que cette dernière « donne au premier "
        "ministre son avis sur la possibilité de déclassifier tout ou partie de ces éléments ». Aucune mesure de "
        "rétorsion ne pourra viser l’agent qui aurait dénoncé des actes potentiellement illégaux.",
    ),
    (
        "readability-medium-2.html",
        "On Behalf of “Literally”",
        ["Courtney Kirchoff"],
        "2015-02-24",
        DAY,
        "Medium",
        "You either are a “literally” abuser or know of one. If you’re anything like me, hearing the word "
        "“literally” used incorrectly causes a little piece of your soul to whither and die. Of course I do not "
        "mean that literally, I mean that figuratively. An abuser would have said: “Every time a person uses that "
        "word, a piece of my soul literally withers and dies.” Which is terribly, horribly wrong.",
        "Originally published at www.courtneykirchoff.com on November 18, 2011. Sadly this solo post did not stop "
        "the abuse of literally. Help the word out. Recommend this article to your literally abusers in your life.",
    ),
    (
        "readability-toc-missing.html",
        "Simple Anomaly Detection Using Plain SQL",
        ["Haki Benita"],
        "2020-09-21",
        DAY,
        "Haki Benita",
        "Many developers think that having a critical bug in their code is the worst thing that can happen. Well, "
        "there is something much worse than that: Having a critical bug in your code and not knowing about it!",
        "UPDATE: many readers asked me how I created the charts in this article... well, I used PopSQL. It’s a new "
        "modern SQL editor focused on collaborative editing. If you're in the market for one, go check it out...",
    ),
    (
        "scrapinghub-06ee193d.html.gz",
        "The VW ID. SPACE VIZZION is a weird EV sports wagon with a secret message",
        ["Chris Davies"],
        "2019-11-20",
        DAY,
        "SlashGear",
        "Volkswagen’s first ID.3 all-electric car based on the new MEB platform isn’t expected until next year, "
        "but the automaker isn ‘t slowing down on stacking up new potential models. The VW ID. SPACE VIZZION is "
        "the seventh EV to use the modular electric drive matrix, and its electric Gran Turismo is arguably the "
        "most striking yet.",
        "In a time when SUVs and crossovers are only growing in popularity, making a luxury four-door GT car might "
        "seem like an unusual strategy. VW says it hopes to put a production version of the ID. SPACE VIZZION into "
        "the US market sometime in 2022, an example of the flexibility of the MEB platform and the ability of that "
        "to support more niche models in a way that’s still cost effective.",
    ),
    (
        "scrapinghub-359fee22.html.gz",
        "The First Map of Saturn's Moon Titan Just Revealed Some Tantalising Features",
        ["Reuters"],
        "2019-11-19",
        DAY,
        "ScienceAlert",
        "WASHINGTON (Reuters) - Scientists on Monday unveiled the first global geological map of Saturn's moon "
        "Titan including vast plains and dunes of frozen organic material and lakes of liquid methane, "
        "illuminating an exotic world considered a strong candidate in the search for life beyond Earth.",
        "(Reporting by Will Dunham; Editing by Tom Brown)",
    ),
]


@needs_trafilatura
@pytest.mark.parametrize("name,title,authors,date,precision,site,first,last", REAL, ids=[r[0] for r in REAL])
def test_real_page(name, title, authors, date, precision, site, first, last):
    ex = load(name)
    assert ex.title == title
    assert ex.authors == authors
    assert ex.published.iso() == date
    assert ex.published.precision == precision
    assert ex.site_name == site
    assert ex.paragraphs[0] == first
    assert ex.paragraphs[-1] == last


def test_real_page_other_fields():
    ex = load("readability-ars-1.html")
    assert ex.url == (
        "https://arstechnica.com/information-technology/2015/04/"
        "just-released-minecraft-exploit-makes-it-easy-to-crash-game-servers/"
    )
    assert ex.language == "en-us"
    assert ex.description == "Two-year-old bug exposes thousands of servers to crippling attack."
    assert ex.published_time is not None and ex.published_time.isoformat() == "20:02:01"
    gitlab = load("readability-gitlab-blog.html")
    assert gitlab.tags == ["developer survey", "DevSecOps", "AI/ML", "security", "news"]
    assert gitlab.published_time is None  # the page gives a day only; no invented time


@needs_trafilatura
def test_chrome_goes_to_removed_not_body():
    ex = load("readability-heise.html")
    assert "08.04.2015 12:46" in ex.removed  # dateline above the text
    assert "08.04.2015 12:46" not in ex.paragraphs
    assert ex.title not in ex.paragraphs  # headline not repeated as body
    titan = load("scrapinghub-359fee22.html.gz")
    assert "© Reuters" in titan.removed and "© Reuters" not in titan.paragraphs


def test_gzip_detected_by_magic_without_filename():
    data = (DATA / "scrapinghub-359fee22.html.gz").read_bytes()
    assert extract_html(data).title == extract_html(gzip.decompress(data)).title != ""


# --------------------------------------------------------------------------- metadata units
def page(head: str = "", body: str = "", lang: str = "") -> bytes:
    attr = f' lang="{lang}"' if lang else ""
    filler = "".join(
        f"<p>Paragraph {i} of the article body says something long enough to count as real text, "
        f"with several clauses, names and numbers such as {i * 7} to keep it going.</p>"
        for i in range(6)
    )
    return (
        f"<!doctype html><html{attr}><head>{head}</head><body>{body}<article>{filler}</article></body></html>".encode()
    )


def test_json_ld_graph_with_author_list_and_publisher():
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "#site", "name": "Example Daily"},
            {"@type": "Person", "@id": "#p1", "name": "Jane Roe"},
            {
                "@type": "NewsArticle",
                "headline": "Council approves the new bridge",
                "author": [{"@id": "#p1"}, {"@type": "Person", "name": "By John Doe"}],
                "datePublished": "2021-03-04T09:15:00+01:00",
                "dateModified": "2021-03-06T10:00:00+01:00",
                "publisher": {"@type": "Organization", "name": "Example Daily"},
                "inLanguage": "en-GB",
                "keywords": "bridges, council",
            },
        ],
    }
    head = (
        "<title>Council approves the new bridge | Example Daily</title>"
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    )
    ex = extract_html(page(head))
    assert ex.title == "Council approves the new bridge"
    assert ex.credits == [Credit("Jane Roe", "author"), Credit("John Doe", "author")]
    assert ex.published.iso() == "2021-03-04"  # published, not modified
    assert ex.published_time.isoformat() == "09:15:00"
    assert ex.site_name == "Example Daily"
    assert ex.language == "en-GB"
    assert ex.tags == ["bridges", "council"]


def test_opengraph_meta_and_title_suffix():
    head = (
        "<title>Rain expected all week - The Weather Post</title>"
        '<meta property="og:site_name" content="The Weather Post">'
        '<meta property="og:title" content="Rain expected all week">'
        '<meta name="author" content="By Ann Smith and Bob Jones">'
        '<meta property="article:published_time" content="2020-11-02">'
        '<link rel="canonical" href="https://weather.example/rain">'
    )
    ex = extract_html(page(head, lang="en"))
    assert ex.title == "Rain expected all week"
    assert ex.authors == ["Ann Smith", "Bob Jones"]
    assert (ex.published.iso(), ex.published.precision) == ("2020-11-02", DAY)
    assert ex.site_name == "The Weather Post"
    assert ex.url == "https://weather.example/rain"
    assert ex.language == "en"


def test_title_site_suffix_from_title_tag_only():
    ex = extract_html(
        page(
            "<title>Harbour reopens after the storm | Coast Gazette</title>", "<h1>Harbour reopens after the storm</h1>"
        )
    )
    assert ex.title == "Harbour reopens after the storm"
    assert ex.site_name == "Coast Gazette"  # the segment the h1 proved was not the title


def test_byline_element_and_time_element():
    body = (
        '<h1>Trains late again</h1><div class="byline">By <a rel="author" href="/a">Carla Diaz</a>, '
        "Staff Writer</div><p class='credit'>Photographs by Dan Lee</p>"
        '<time datetime="2019-07-08T17:00:00">July 8</time>'
    )
    ex = extract_html(page("<title>Trains late again</title>", body))
    assert ex.authors == ["Carla Diaz"]
    assert (ex.published.iso(), ex.published.precision) == ("2019-07-08", DAY)


def test_byline_roles_and_name_cleanup():
    from articles.extraction.html_text import credits_from_byline

    assert credits_from_byline("Written by Rob Ewaschuk\n Edited by Betsy Beyer") == [
        Credit("Rob Ewaschuk", "author"),
        Credit("Betsy Beyer", "editor"),
    ]
    assert credits_from_byline("By Brenda  Goodman, MA\n  WebMD Health News") == [Credit("Brenda Goodman")]
    assert credits_from_byline("BY: JOE WEE | March 3, 2019") == [Credit("Joe Wee")]
    assert credits_from_byline("Jong, Michiel de") == [Credit("Michiel de Jong")]
    assert credits_from_byline("Par Martin Untersinger (avec Damien Leloup et Morgane Tual)") == [
        Credit("Martin Untersinger"),
        Credit("Damien Leloup"),
        Credit("Morgane Tual"),
    ]
    assert credits_from_byline("April 28, 2019 at 6:01 am Updated April 29, 2019") == []
    assert credits_from_byline("https://example.com/staff/jane") == []


def test_month_precision_is_kept_honest():
    ex = extract_html(page('<meta property="article:published_time" content="2022-01">'))
    assert ex.published.iso() == "2022-01" and ex.published.precision == "month"


def test_page_without_metadata_invents_nothing():
    html = (
        b"<html><body><div><p>"
        + b"Just some words in a paragraph that has no metadata at all. " * 8
        + b"</p></div></body></html>"
    )
    ex = extract_html(html)
    assert ex.title == ""
    assert ex.credits == []
    assert ex.published.precision == UNKNOWN and ex.published_time is None
    assert ex.site_name == ex.url == ex.language == ex.description == ""
    assert ex.tags == []
    assert ex.paragraphs and ex.paragraphs[0].startswith("Just some words in a paragraph")


# --------------------------------------------------------------------------- charsets
LATIN = "Café au lait: la crème brûlée était très appréciée à Noël, dit François."
RUSSIAN = (
    "Правительство объявило о новых мерах поддержки малого бизнеса в регионах. "
    "По словам министра, программа начнёт работать уже в следующем месяце, "
    "а заявки можно будет подавать через государственный портал услуг."
)


def test_decode_latin1_declared_in_meta():
    data = f'<html><head><meta charset="iso-8859-1"><title>x</title></head><body><p>{LATIN}</p></body></html>'
    raw = data.encode("latin-1")
    assert decode_html(raw).count(LATIN) == 1
    ex = extract_html(raw)
    assert LATIN in ex.paragraphs


def test_decode_http_equiv_charset():
    data = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        f"</head><body><p>{LATIN} “quoted”</p></body></html>"
    )
    assert f"{LATIN} “quoted”" in decode_html(data.encode("cp1252"))


def test_decode_utf8_bom_wins_over_wrong_meta():
    data = f'<html><head><meta charset="iso-8859-1"></head><body><p>{LATIN}</p></body></html>'
    raw = codecs.BOM_UTF8 + data.encode("utf-8")
    text = decode_html(raw)
    assert LATIN in text and not text.startswith("\ufeff")


def test_decode_cp1251_without_declaration():
    raw = f"<html><head><title>Новости</title></head><body><p>{RUSSIAN}</p><p>{RUSSIAN}</p></body></html>"
    text = decode_html(raw.encode("cp1251"))
    assert RUSSIAN in text
    ex = extract_html(raw.encode("cp1251"))
    assert ex.title == "Новости"


def test_decode_undecodable_bytes_fall_back_with_replacement():
    assert isinstance(decode_html(b"\xff\xfe\xfa\x00<p>\x81\x8d</p>" * 3), str)
    assert decode_html(b"") == ""


# --------------------------------------------------------------------------- hostile input
HOSTILE = b"""<!doctype html><html><head>
<title>Safe <script>alert(1)</script> title</title>
<meta property="og:title" content="&lt;script&gt;alert('og')&lt;/script&gt;Hostile page">
<meta name="author" content="<img src=x onerror=alert(2)>Eve Mallory">
<meta name="description" content="<script>steal()</script>A description">
<script>document.write('<p>injected by script</p>')</script>
<style>p { background: url(javascript:alert(3)) }</style>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "<script>x()</script>Hostile page",
 "author": {"name": "<b onmouseover=alert(4)>Eve Mallory</b>"}, "datePublished": "2020-02-02"}</script>
</head><body onload="alert(5)">
<article>
<h1 onclick="alert(6)">Hostile page</h1>
<p>First real paragraph with a <a href="javascript:alert(7)">javascript link</a> and an
<img src=x onerror="alert(8)"> image that must not survive as markup at all.</p>
<script>var s = "<p>fake paragraph from a script string</p>";</script>
<iframe src="javascript:alert(9)"></iframe>
<p>Second real paragraph \x00 with a zero byte and <svg onload=alert(10)><script>alert(11)</script></svg>
an inline svg, still long enough to be kept as article text by any extractor.</p>
<noscript><p>noscript fallback</p></noscript>
</article></body></html>"""


def test_hostile_html_becomes_inert_plain_text():
    ex = extract_html(HOSTILE)
    text = all_text(ex)
    low = text.lower()
    assert "<script" not in low
    assert "onerror=" not in low and "onload=" not in low and "onclick=" not in low
    assert "javascript:" not in low
    assert "alert(" not in low and "steal()" not in low
    assert "\x00" not in text
    assert "<" not in ex.title and ">" not in ex.title
    assert ex.title == "Hostile page"
    assert ex.authors == ["Eve Mallory"]
    assert ex.published.iso() == "2020-02-02"
    assert any(p.startswith("First real paragraph") for p in ex.paragraphs)
    assert not any("fake paragraph" in p or "injected by script" in p for p in ex.paragraphs)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 1000,
        b"\x1f\x8b\x08\x00garbage-not-really-gzip",
        b"<<<>>><html<body<p>unclosed",
        b"<?xml version='1.0' encoding='utf-8'?><html><body><p>xml declared</p></body></html>",
        b"<html><body>" + b"<div>" * 50_000 + b"deep text" + b"</div>" * 50_000 + b"</body></html>",
        b'<html><body><p title="' + b"A" * 2_000_000 + b'">huge attribute</p></body></html>',
        b'<html><head><script type="application/ld+json">{"@graph": [' + b"[" * 5000 + b"</script></head></html>",
        b'<html><head><meta charset="no-such-charset"></head><body><p>caf\xe9</p></body></html>',
        "<html><body><p>\u202eright-to-left override \ud7ff</p></body></html>".encode("utf-8", "surrogatepass"),
        bytes(range(256)) * 50,
    ],
    ids=[
        "empty",
        "nul",
        "bad-gzip",
        "broken-tags",
        "xml-decl",
        "deep-nesting",
        "huge-attr",
        "deep-json",
        "unknown-charset",
        "bidi",
        "all-bytes",
    ],
)
def test_never_raises(data):
    ex = extract_html(data, filename="page.html")
    assert isinstance(ex, Extracted)
    assert "<script" not in all_text(ex).lower()


def test_gzip_expanding_past_the_limit_is_refused():
    bomb = gzip.compress(b"<html><body><p>" + b" " * (9 * 1024 * 1024) + b"</p></body></html>", compresslevel=9)
    assert len(bomb) < 100_000
    ex = extract_html(bomb, filename="bomb.html.gz")
    assert ex == Extracted()
    small = gzip.compress(page("<title>Small page</title>"))
    assert extract_html(small, max_bytes=len(small) + 10).title == ""  # over the caller's limit once unpacked
    assert extract_html(small).title == "Small page"


def test_deep_nesting_keeps_the_text_after_it():
    deep = b"<div>" * 100_000 + b"<p>inside</p>" + b"</div>" * 100_000
    html = page("<title>Deep</title>").replace(b"<article>", b"<article>" + deep)
    ex = extract_html(html)
    assert any(p.startswith("Paragraph 5 of the article body") for p in ex.paragraphs)


def test_overlong_fields_are_dropped_or_bounded():
    head = (
        f'<link rel="canonical" href="https://example.org/{"a" * 1500}">'
        f'<meta name="author" content="{"Longname " * 60}">'
        f"<title>{'Long title ' * 100}</title>"
    )
    ex = extract_html(page(head, lang="x" * 300))
    assert ex.url == "" and ex.language == "" and ex.credits == []
    assert 0 < len(ex.title) <= 500


def test_generic_og_title_equal_to_site_name_is_ignored():
    head = (
        "<title>Space ship breaks up over Siberia</title>"
        '<meta property="og:title" content="Example News - Latest News &amp; Headlines">'
        '<meta property="og:site_name" content="Example News - Latest News &amp; Headlines">'
    )
    ex = extract_html(page(head))
    assert ex.title == "Space ship breaks up over Siberia"
    assert ex.site_name == "Example News - Latest News & Headlines"


def test_month_from_url_when_the_page_states_no_date():
    ex = extract_html(page('<link rel="canonical" href="https://news.example/2019/11/some-story">'))
    assert (ex.published.iso(), ex.published.precision) == ("2019-11", "month")
    ex = extract_html(page('<link rel="canonical" href="https://news.example/some-story">'))
    assert ex.published.precision == UNKNOWN


def test_builtin_scorer_finds_the_article_without_trafilatura(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import fails: the built-in scorer takes over
    ex = load("readability-ars-1.html")
    assert ex.title == "Just-released Minecraft exploit makes it easy to crash game servers"
    assert any(p.startswith("A flaw in the wildly popular online game Minecraft") for p in ex.paragraphs[:3])
    assert ex.paragraphs[-1] == (
        "Ars is asking Mojang for comment and will update this post if company officials respond."
    )
    assert "Share on Facebook" in ex.removed
