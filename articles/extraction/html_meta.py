"""Metadata off an lxml HTML tree: JSON-LD, OpenGraph, <meta>, microdata, bylines.

Everything returned is plain text (html_text.clean_text). Nothing here raises
on odd input: every reader is wrapped so a broken block only loses that block.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from .html_text import clean_text, credits_from_byline, fold, parse_date, split_names
from .types import Credit

ARTICLE_TYPES = {
    "newsarticle", "article", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle",
    "scholarlyarticle", "techarticle", "socialmediaposting", "liveblogposting", "report",
    "posting", "discussionforumposting", "satiricalarticle", "advertisercontentarticle",
    "medicalscholarlyarticle", "review", "creativework", "videoobject", "recipe", "howto",
}
PAGE_TYPES = {"webpage", "itempage", "medicalwebpage", "aboutpage", "collectionpage", "profilepage"}
ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website", "brand", "localbusiness"}


# --------------------------------------------------------------------------- meta tags
def meta_tags(tree) -> dict[str, list[str]]:
    """All <meta> values by lowercased name/property/itemprop/http-equiv, in order."""
    out: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        val = el.get("content")
        if val is None:
            val = el.get("value")
        if val is None:
            continue
        val = clean_text(val)
        if not val:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                # "og:title twitter:title" may share one tag
                for k in key.lower().split():
                    out.setdefault(k.strip(), []).append(val)
    return out


def first(meta: dict[str, list[str]], *keys: str) -> str:
    for k in keys:
        for v in meta.get(k, ()):
            if v:
                return v
    return ""


# --------------------------------------------------------------------------- JSON-LD
def _loads(text: str):
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.replace("<![CDATA[", "").replace("]]>", "").strip().rstrip(";")
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        pass
    # several objects glued together, or trailing junk: take what decodes.
    dec = json.JSONDecoder(strict=False)
    out, i = [], 0
    try:
        while i < len(text) and len(out) < 20:
            j = text.find("{", i)
            k = text.find("[", i)
            starts = [x for x in (j, k) if x >= 0]
            if not starts:
                break
            obj, i = dec.raw_decode(text, min(starts))
            out.append(obj)
    except (ValueError, RecursionError):
        pass
    return out


def _types(obj: dict) -> set[str]:
    t = obj.get("@type", "")
    if isinstance(t, str):
        t = [t]
    if not isinstance(t, list):
        return set()
    return {x.rsplit("/", 1)[-1].lower() for x in t if isinstance(x, str)}


def _walk(obj, depth=0):
    """Every dict in a JSON-LD structure (lists, @graph, nested values)."""
    if depth > 12:
        return
    if isinstance(obj, list):
        for x in obj[:200]:
            yield from _walk(x, depth + 1)
    elif isinstance(obj, dict):
        yield obj
        for k, v in list(obj.items())[:200]:
            if isinstance(v, (dict, list)):
                yield from _walk(v, depth + 1)


def json_ld(tree) -> list[dict]:
    objs: list[dict] = []
    for el in tree.iter("script"):
        if "ld+json" not in (el.get("type") or "").lower():
            continue
        text = el.text or ""
        if not text.strip() or len(text) > 2_000_000:
            continue
        data = _loads(text)
        objs.extend(_walk(data))
        if len(objs) > 2000:
            break
    return objs


def _ld_names(val, by_id: dict, depth=0) -> list[tuple[str, bool]]:
    """(name, is_person) from an author/creator value of any JSON-LD shape."""
    if depth > 4 or val is None:
        return []
    if isinstance(val, str):
        return [(n, True) for n in split_names(val)] if not val.startswith("http") else []
    if isinstance(val, list):
        out = []
        for v in val[:30]:
            out.extend(_ld_names(v, by_id, depth + 1))
        return out
    if isinstance(val, dict):
        if "name" not in val and isinstance(val.get("@id"), str) and val["@id"] in by_id:
            val = by_id[val["@id"]]
        name = val.get("name")
        if isinstance(name, list):
            name = name[0] if name else ""
        if not isinstance(name, str):
            gn, fn = val.get("givenName"), val.get("familyName")
            name = " ".join(x for x in (gn, fn) if isinstance(x, str))
        types = _types(val)
        is_person = not (types & ORG_TYPES)
        if not name:
            return []
        if is_person:
            return [(n, True) for n in split_names(name)]
        n = clean_text(name, limit=120)
        return [(n, False)] if n else []
    return []


def ld_article(objs: list[dict]) -> dict:
    """The fields kzarchive needs from the page's main JSON-LD article."""
    by_id = {o["@id"]: o for o in objs if isinstance(o.get("@id"), str)}
    arts = [o for o in objs if _types(o) & ARTICLE_TYPES]
    pages = [o for o in objs if _types(o) & PAGE_TYPES]
    out: dict = {}
    # a site-wide WebSite / Organization name is a site-name candidate
    for o in objs:
        if "website" in _types(o) and isinstance(o.get("name"), str):
            out.setdefault("website", clean_text(o["name"], limit=200))
    for group in (arts, pages):
        for o in group:
            for key in ("headline", "name", "alternativeHeadline"):
                v = o.get(key)
                if isinstance(v, str) and v.strip() and "headline" not in out:
                    out["headline"] = clean_text(v, limit=500)
            if "authors" not in out:
                names = _ld_names(o.get("author"), by_id) or _ld_names(o.get("creator"), by_id)
                if names:
                    out["authors"] = names
            for key in ("datePublished", "dateCreated", "uploadDate"):
                if "published" not in out and o.get(key):
                    d = parse_date(o.get(key) if isinstance(o.get(key), str) else str(o.get(key)))
                    if d:
                        out["published"] = d
            if "modified" not in out and isinstance(o.get("dateModified"), str):
                d = parse_date(o["dateModified"])
                if d:
                    out["modified"] = d
            pub = o.get("publisher")
            if isinstance(pub, list) and pub:
                pub = pub[0]
            if isinstance(pub, dict) and "publisher" not in out:
                if "name" not in pub and pub.get("@id") in by_id:
                    pub = by_id[pub["@id"]]
                if isinstance(pub.get("name"), str):
                    out["publisher"] = clean_text(pub["name"], limit=200)
            for key, name in (("inLanguage", "language"), ("description", "description"), ("url", "url")):
                v = o.get(key)
                if isinstance(v, dict):
                    v = v.get("name") or v.get("@id")
                if isinstance(v, str) and v.strip() and name not in out:
                    out[name] = clean_text(v, limit=2000)
            if "keywords" not in out:
                kw = o.get("keywords")
                if isinstance(kw, str):
                    kw = kw.split(",")
                if isinstance(kw, list):
                    tags = [clean_text(k, limit=100) for k in kw if isinstance(k, str)]
                    out["keywords"] = [t for t in tags if t]
        if "headline" in out and group is arts:
            break
    return out


# --------------------------------------------------------------------------- body hints
_BYLINE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:by-?line|byl|author|authors|writer|byline__|article-author|author-name|"
    r"contributor|contributors|autor|auteur|signature|firma)(?:$|[\s_-])|byline|author",
    re.I,
)
_BAD_CONTAINER = re.compile(r"comment|related|footer|sidebar|widget|share|social|promo|newsletter|bio\b", re.I)
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "section", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "dd", "dt"}


def element_text(el, limit: int = 600) -> str:
    """Text of an element with newlines at block boundaries (for bylines)."""
    parts: list[str] = []
    n = 0
    for node in el.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("script", "style", "noscript", "template", "svg"):
            continue
        if tag in _BLOCK:
            parts.append("\n")
        if node.text and node is not None and tag not in ("script", "style"):
            parts.append(node.text)
            n += len(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
            n += len(node.tail)
        if n > limit * 4:
            break
    return "".join(parts)


def _bad_ancestor(el, levels: int = 8) -> bool:
    p = el.getparent()
    i = 0
    while p is not None and i < levels:
        if p.tag in ("footer", "aside", "nav"):
            return True
        cls = (p.get("class") or "") + " " + (p.get("id") or "")
        if _BAD_CONTAINER.search(cls):
            return True
        p = p.getparent()
        i += 1
    return False


def body_authors(tree) -> list[Credit]:
    """Authors from microdata, rel=author links and byline-ish elements."""
    # microdata: itemprop=author (a Person with itemprop=name inside, or text)
    for el in tree.xpath('//*[contains(concat(" ", normalize-space(@itemprop), " "), " author ")]')[:10]:
        if el.tag == "meta" or _bad_ancestor(el):
            continue
        names = el.xpath('.//*[@itemprop="name"]')
        text = ""
        if names:
            text = names[0].get("content") or element_text(names[0])
        else:
            text = el.get("content") or element_text(el)
        cr = credits_from_byline(text)
        if cr:
            return cr
    # byline containers by class/id
    for el in tree.xpath(
        '//*[@class or @id][contains(translate(concat(@class, " ", @id), "BYLINEAUTHR", "bylineauthr"), "byline") or '
        'contains(translate(concat(@class, " ", @id), "BYLINEAUTHR", "bylineauthr"), "author") or '
        'contains(translate(concat(@class, " ", @id), "BYLINEAUTHR", "bylineauthr"), "byl")]'
    )[:40]:
        if el.tag in ("body", "html", "article", "main", "meta", "link", "script", "style", "img"):
            continue
        cls = (el.get("class") or "") + " " + (el.get("id") or "")
        if not _BYLINE_CLASS.search(cls) or re.search(r"bio|avatar|image|photo|img|icon|follow|about|box|social", cls, re.I):
            continue
        if _bad_ancestor(el):
            continue
        text = element_text(el)
        if not text.strip() or len(text) > 300:
            continue
        cr = credits_from_byline(text)
        if cr:
            return cr
    for el in tree.xpath('//a[contains(concat(" ", normalize-space(@rel), " "), " author ")]')[:10]:
        if _bad_ancestor(el):
            continue
        cr = credits_from_byline(element_text(el))
        if cr:
            return cr
    return []


def body_date(tree):
    """(PartialDate, time) from itemprop=datePublished or the first <time datetime>."""
    for el in tree.xpath('//*[@itemprop="datePublished" or @itemprop="dateCreated"]')[:5]:
        d = parse_date(el.get("content") or el.get("datetime") or element_text(el, 100))
        if d:
            return d
    for el in tree.xpath("//time[@datetime]")[:10]:
        if _bad_ancestor(el):
            continue
        d = parse_date(el.get("datetime"), allow_text=False)
        if d:
            return d
    return None


# --------------------------------------------------------------------------- titles
_SEP = re.compile(r"\s+(?:\||-|–|—|·|•|»|/|::|~|:)\s+|\s*(?:\||•|»)\s*")


def host_of(url: str) -> str:
    try:
        h = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return h[4:] if h.startswith("www.") else h


def _same_site(seg: str, sites: list[str]) -> bool:
    f = fold(seg)
    if not f:
        return False
    for s in sites:
        g = fold(s)
        if not g:
            continue
        if f == g or (len(f) >= 3 and f in g) or (len(g) >= 3 and g in f and len(f) <= len(g) + 12):
            return True
    return False


def strip_site(title: str, sites: list[str], others: list[str]) -> tuple[str, str]:
    """Drop site-name segments at either end of a title; return (title, dropped site).

    ``sites`` are known site names / host labels; ``others`` are other title
    candidates (og:title, h1): when one of them equals a run of segments, that
    run is the clean title.
    """
    title = clean_text(title, limit=500)
    segs = _SEP.split(title)
    if len(segs) < 2:
        return title, ""
    seps = _SEP.findall(title)
    # rebuild with original separators to keep exact text
    pieces = [segs[0]]
    for s, seg in zip(seps, segs[1:]):
        pieces.extend([s, seg])
    dropped = ""
    while len(pieces) >= 3 and _same_site(pieces[-1], sites):
        dropped = pieces[-1]
        pieces = pieces[:-2]
    while len(pieces) >= 3 and _same_site(pieces[0], sites):
        dropped = dropped or pieces[0]
        pieces = pieces[2:]
    cur = "".join(pieces).strip()
    if len(pieces) >= 3:
        fo = [fold(o) for o in others if o]
        for end in range(len(pieces) - 2, 0, -2):
            cand = "".join(pieces[:end]).strip()
            if fold(cand) in fo:
                return cand, dropped or pieces[end + 1]
        for start in range(2, len(pieces), 2):
            cand = "".join(pieces[start:]).strip()
            if fold(cand) in fo:
                return cand, dropped or pieces[0]
    return cur, dropped
