"""Article extraction from saved web pages (.html / .htm / .html.gz).

Public API (pure Python, no Django):

    extract_html(page: str | bytes, *, filename: str = "", max_bytes: int = MAX_BYTES) -> Extracted

Ingest hands it the page's text, decoded once by decoding.py (which owns gunzip,
the size limit and the charset); bytes are read there too (decoding.read_page).

Metadata comes from what the page states about itself (JSON-LD, OpenGraph,
<meta>, Dublin Core, microdata, <time>, byline elements; htmldate and a
/YYYY/MM/ URL as last resorts for the date) -- html_meta.py, html_text.py.
The body comes from trafilatura's main-content extraction over the same parsed
tree, with our pre-pruning and line cleanup (html_body.py); a Readability-style
scorer (html_score.py) stands in when trafilatura is missing or keeps little.
Output is plain text only: scripts/styles never reach it and tag-shaped
strings are removed from metadata. ``extract_html`` never raises on bad input.

HTML is parsed once with lxml (the parser BeautifulSoup would drive): a
BeautifulSoup tree over the whole page costs ~40 ms on the benchmark pages,
most of the 60 ms per-page budget, so BeautifulSoup is only used when lxml
cannot build a tree at all.

Measured against trafilatura alone by benchmarks/extraction.py.
"""

from __future__ import annotations

import re
from contextlib import suppress
from itertools import islice

from .dates import parse_date
from .decoding import MAX_BYTES, read_page
from .html_meta import body_authors, body_date, first, host_of, json_ld, ld_article, meta_tags, strip_site
from .html_text import clean_para, clean_text, credits_from_byline, fold
from .types import Credit, Extracted, PartialDate

MAX_CHARS = 6_000_000  # longer pages are cut: the article is near the top


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_DEEP_OPEN = re.compile(r"(<([a-z][a-z0-9]{0,9})\b[^<>]{0,200}>)(?:\s*<\2\b[^<>]{0,200}>){200,}", re.I)
_DEEP_CLOSE = re.compile(r"(</([a-z][a-z0-9]{0,9})\s*>)(?:\s*</\2\s*>){200,}", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse(text: str):
    import lxml.html

    text = _XML_DECL.sub("", text[:MAX_CHARS], count=1)
    text = _CONTROL.sub("", text)
    if not text.strip():
        return None
    # Absurd nesting (thousands of <div>s) makes libxml2 give up on the rest of
    # the page: collapse long runs of the same open/close tag into one.
    text = _DEEP_OPEN.sub(r"\1", text)
    text = _DEEP_CLOSE.sub(r"\1", text)
    parser = lxml.html.HTMLParser(collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True)
    try:
        return lxml.html.document_fromstring(text, parser=parser)
    except Exception:
        try:
            return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=parser)
        except Exception:
            return None


# --------------------------------------------------------------------------- metadata
def _lang(tree, meta: dict, ld: dict) -> str:
    val = tree.get("lang") or tree.get("xml:lang") or ""
    if not val:
        body = tree.find("body")
        val = body.get("lang", "") if body is not None else ""
    val = val or first(meta, "content-language", "dc.language", "language", "og:locale") or ld.get("language", "")
    val = clean_text(val, limit=40).split(",")[0].strip().replace("_", "-")
    return val if len(val) <= 20 and re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*", val) else ""


def _url(tree, meta: dict, ld: dict) -> str:
    cands = [el.get("href") for el in tree.iter("link") if "canonical" in (el.get("rel") or "").lower().split()]
    cands += [first(meta, "og:url"), first(meta, "twitter:url"), ld.get("url", "")]
    for c in cands:
        c = clean_text(c or "", limit=2000)
        if len(c) <= 1000 and re.match(r"https?://[^\s/]+\.[^\s/]+", c, re.I):
            return c  # longer ones are junk (and longer than any column to keep them)
    return ""


def _title_tag(tree) -> str:
    t = tree.find(".//title")
    return clean_text(t.text_content(), limit=500) if t is not None else ""


def _h1s(tree) -> list[str]:
    texts = (clean_text(el.text_content(), limit=500) for el in tree.iter("h1"))
    return list(islice(filter(None, texts), 3))  # the first three with text; later ones are not read


def _tags(meta: dict, ld: dict) -> list[str]:
    raw: list[str] = list(meta.get("article:tag", []))
    for key in ("news_keywords", "keywords"):
        for v in meta.get(key, [])[:1]:
            raw.extend(v.split(","))
    raw.extend(ld.get("keywords", []))
    out, seen = [], set()
    for t in raw:
        t = clean_text(t, limit=100)
        if t and fold(t) not in seen and len(out) < 40:
            seen.add(fold(t))
            out.append(t)
    return out


_META_TITLE_KEYS = (
    "dc:title",
    "dcterm:title",
    "dcterms:title",
    "dc.title",
    "og:title",
    "twitter:title",
    "parsely-title",
    "sailthru.title",
)
_META_AUTHOR_KEYS = (
    "dc:creator",
    "dcterm:creator",
    "dcterms:creator",
    "author",
    "article:author_name",
    "article:author",
    "og:article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "dcterms.creator",
    "byl",
    "citation_author",
    "twitter:creator:name",
    "book:author",
    "creator",
)
_META_DATE_KEYS = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "datepublished",
    "article.published",
    "published_time",
    "publishdate",
    "publish-date",
    "publish_date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date.created",
    "dcterms.created",
    "citation_publication_date",
    "citation_date",
    "date",
    "dc.date",
    "dcterms.date",
    "og:pubdate",
    "article_date_original",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
    "dat",
    "displaydate",
)


def _authors(tree, meta: dict, ld: dict) -> list[Credit]:
    ld_names = ld.get("authors", [])
    persons = [n for n, is_person in ld_names if is_person]
    if persons:
        return [Credit(n) for n in dict.fromkeys(persons)]
    for key in _META_AUTHOR_KEYS:
        found: list[Credit] = []
        for v in meta.get(key, [])[:20]:  # several <meta name=author> = several authors
            if v.startswith("http") or v.startswith("@"):
                continue
            for c in credits_from_byline(v):
                if c.name not in [f.name for f in found]:
                    found.append(c)
        if found:
            return found
    orgs = [n for n, is_person in ld_names if not is_person]  # the last resort: organisations credited
    return body_authors(tree) or [Credit(n) for n in dict.fromkeys(orgs)]


_URL_MONTH = re.compile(r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(?!\d)")


def _published(tree, meta: dict, ld: dict, url: str = ""):
    """(PartialDate, time) the page was first published, or None. Never a modified date."""
    if ld.get("published"):
        return ld["published"]
    for key in _META_DATE_KEYS:
        for v in meta.get(key, []):
            d = parse_date(v)
            if d:
                return d
    if ld.get("created"):
        return ld["created"]
    d = body_date(tree)
    if d:
        return d
    with suppress(Exception):
        from htmldate import find_date

        s = find_date(tree, original_date=True, extensive_search=False, outputformat="%Y-%m-%d")
        if s:
            return parse_date(s)
    # .../2019/11/slug: the month is known, the day is not.
    m = _URL_MONTH.search(url)
    if m:
        return PartialDate(int(m.group(1)), int(m.group(2))), None
    return None


def extract_metadata(tree, ex: Extracted) -> dict:
    """Fill ex's metadata fields; returns the JSON-LD article fields (for the body)."""
    meta = meta_tags(tree)
    title_tag = _title_tag(tree)
    og = first(meta, "og:title", "twitter:title")
    ld = ld_article(json_ld(tree), _url(tree, meta, {}), [og, title_tag])
    ex.url = _url(tree, meta, ld)
    host = host_of(ex.url)
    ex.language = _lang(tree, meta, ld)
    ex.description = first(meta, "og:description", "description", "twitter:description") or ld.get("description", "")
    ex.tags = _tags(meta, ld)
    ex.credits = _authors(tree, meta, ld)
    got = _published(tree, meta, ld, ex.url)
    if got:
        ex.published, time = got
        if time is not None:  # the offset the page states travels as tzinfo; the time stays as written
            ex.published_time, ex.published_offset = time.replace(tzinfo=None), time.utcoffset()
    site = (
        first(meta, "og:site_name")
        or ld.get("publisher", "")
        or ld.get("website", "")
        or first(meta, "application-name", "al:ios:app_name", "al:android:app_name", "apple-mobile-web-app-title")
    )
    # og:site_name "usatoday" / "detroitnews" is a slug of the publisher's real name.
    pub = ld.get("publisher", "")
    if pub and site and re.fullmatch(r"[a-z0-9.-]+", site) and fold(site) in fold(pub):
        site = pub
    sites = [
        s
        for s in (
            site,
            ld.get("publisher", ""),
            ld.get("website", ""),
            first(meta, "application-name"),
            host,
            host.split(".")[0] if host else "",
        )
        if s
    ]
    h1s = _h1s(tree)
    meta_title = ld.get("headline") or first(meta, *_META_TITLE_KEYS)
    # A metadata title that is just the site's name (a template default) says nothing about the article.
    if meta_title and site and fold(meta_title) == fold(site) and (title_tag or h1s):
        meta_title = ""
    base = meta_title or title_tag or (h1s[0] if h1s else "")
    others = [x for x in [og, ld.get("headline", ""), *h1s] if x and x != base]
    people = [c.name for c in ex.credits]
    from_meta = bool(meta_title)
    title, dropped = strip_site(base, sites, others, people, guess=not from_meta)
    if base != title_tag and title_tag:
        _, dropped2 = strip_site(title_tag, sites + [title], [title, *others])
        dropped = dropped or dropped2
    ex.title = title
    ex.site_name = clean_text(site or dropped, limit=200)
    return ld


# --------------------------------------------------------------------------- body
def extract_body(tree, ex: Extracted, ld_body: str = "") -> None:
    from .html_body import main_text

    ex.paragraphs, ex.kinds, removed = main_text(tree, ex.title)
    ex.removed.extend(removed)
    # Pages that render their text with JavaScript often still state it in
    # JSON-LD articleBody: use it when the page itself yielded much less.
    if ld_body:
        ld_paras = [p for p in (clean_para(clean_text(x, limit=100_000)) for x in ld_body.split("\n")) if p]
        n_ld = sum(len(p.split()) for p in ld_paras)
        n_ex = sum(len(p.split()) for p in ex.paragraphs)
        if n_ld >= 50 and n_ex < 0.5 * n_ld:
            ex.removed.extend(ex.paragraphs)
            ex.paragraphs, ex.kinds = ld_paras, []


def _fallback_text(text: str) -> list[str]:
    """Last resort when lxml/trafilatura failed: BeautifulSoup text, script-free."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text[:MAX_CHARS], "lxml")
    for el in soup(["script", "style", "noscript", "template", "iframe", "object", "embed", "svg"]):
        el.decompose()
    return [p for p in (clean_para(x) for x in soup.get_text("\n").split("\n")) if p]


def _tree_text(tree) -> list[str]:
    """Fallback body: every text node outside script/style, one line per block."""
    from .html_body import prune_hidden

    prune_hidden(tree)
    lines = [clean_para(t) for t in tree.xpath("//body//text()")]
    return [x for x in lines if x]


def extract_html(page: str | bytes, *, filename: str = "", max_bytes: int = MAX_BYTES) -> Extracted:
    """Read one saved web page (its text, or its bytes, optionally gzip) into an Extracted.

    Never raises. Bytes go through decoding.read_page: over ``max_bytes`` (also
    once gunzipped; one gzip layer is unpacked when the bytes start with the gzip
    magic) they yield an empty Extracted. ``filename`` is only informative.
    """
    ex = Extracted()
    try:
        text = page if isinstance(page, str) else read_page(bytes(page or b""), limit=max_bytes)
    except Exception:
        return ex
    if text is None:
        return ex
    tree = None
    with suppress(Exception):
        tree = _parse(text)
    if tree is None:
        with suppress(Exception):
            ex.paragraphs = _fallback_text(text)
        return ex
    ld: dict = {}
    with suppress(Exception):
        ld = extract_metadata(tree, ex)
    try:
        extract_body(tree, ex, ld.get("body", ""))
    except Exception:
        with suppress(Exception):
            ex.paragraphs = _tree_text(tree)
    return ex
