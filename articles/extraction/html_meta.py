"""Metadata off an lxml HTML tree: JSON-LD, OpenGraph, <meta>, microdata, bylines.

Everything returned is plain text (html_text.clean_text). Nothing here raises
on odd input: every reader is wrapped so a broken block only loses that block.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from itertools import islice
from urllib.parse import urlsplit

from .dates import parse_date
from .html_text import clean_text, credits_from_byline, fold, split_names
from .types import Credit

ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "scholarlyarticle",
    "techarticle",
    "socialmediaposting",
    "liveblogposting",
    "report",
    "posting",
    "discussionforumposting",
    "satiricalarticle",
    "advertisercontentarticle",
    "medicalscholarlyarticle",
    "review",
    "creativework",
    "videoobject",
    "recipe",
    "howto",
}
PAGE_TYPES = {"webpage", "itempage", "medicalwebpage", "aboutpage", "collectionpage", "profilepage"}
ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website", "brand", "localbusiness"}


# --------------------------------------------------------------------------- meta tags
def meta_tags(tree) -> dict[str, list[str]]:
    """All <meta> values by lowercased name/property/itemprop/http-equiv, in order."""
    out: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        val = el.get("content", el.get("value"))
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
    return next((v for k in keys for v in meta.get(k, ()) if v), "")


# --------------------------------------------------------------------------- JSON-LD
def _loads(text: str):
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:]
    if text.endswith("-->"):
        text = text[:-3]
    text = text.replace("<![CDATA[", "").replace("]]>", "").strip().rstrip(";")
    with suppress(ValueError, RecursionError):
        return json.loads(text, strict=False)
    # several objects glued together, or trailing junk: take what decodes.
    dec = json.JSONDecoder(strict=False)
    out, i = [], 0
    with suppress(ValueError, RecursionError):
        while i < len(text) and len(out) < 20:
            j = text.find("{", i)
            k = text.find("[", i)
            starts = [x for x in (j, k) if x >= 0]
            if not starts:
                break
            obj, i = dec.raw_decode(text, min(starts))
            out.append(obj)
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
        for v in list(obj.values())[:200]:
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
        return [found for v in val[:30] for found in _ld_names(v, by_id, depth + 1)]
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


def _similar(a: str, b: str) -> float:
    """Share of a's words found in b (0..1)."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return len(wa & wb) / len(wa) if wa else 0.0


def _ld_title(o: dict, hints: list[str]) -> str:
    """headline or name, whichever agrees more with the page's <title>/og:title."""
    cands = [
        clean_text(o[k], limit=500)
        for k in ("headline", "name", "alternativeHeadline")
        if isinstance(o.get(k), str) and o[k].strip()
    ]
    if not cands:
        return ""
    if len(cands) == 1 or not hints:
        return cands[0]
    return max(cands, key=lambda c: (max(_similar(c, h) + _similar(h, c) for h in hints), -cands.index(c)))


def _score(o: dict, url: str, hints: list[str]) -> float:
    types = _types(o)
    sc = 3.0 if types & (ARTICLE_TYPES - {"creativework", "videoobject", "recipe", "howto", "review"}) else 1.0
    for k in ("url", "@id", "mainEntityOfPage"):
        v = o.get(k)
        if isinstance(v, dict):
            v = v.get("@id") or v.get("url")
        if url and isinstance(v, str) and v.rstrip("/").split("#")[0] == url.rstrip("/"):
            sc += 4
            break
    t = _ld_title(o, hints)
    if t and hints:
        sc += 3 * max(_similar(t, h) for h in hints)
    if o.get("articleBody"):
        sc += 1
    if o.get("author"):
        sc += 0.5
    return sc


def ld_article(objs: list[dict], url: str = "", hints: list[str] | None = None) -> dict:
    """The fields kzarchive needs from the page's main JSON-LD article.

    The main object is the article-typed one that best matches the page (its
    url, its headline vs <title>/og:title); pages often carry JSON-LD for
    related videos or stories too. Missing fields fall back to the other
    article objects, then WebPage objects.
    """
    hints = [h for h in (hints or []) if h]
    by_id: dict[str, dict] = {}
    for o in objs:  # a bare {"@id": ...} reference must not shadow the node it points to
        key = o.get("@id")
        if isinstance(key, str) and len(o) > len(by_id.get(key, ())):
            by_id[key] = o
    arts = [o for o in objs if _types(o) & ARTICLE_TYPES]
    arts.sort(key=lambda o: -_score(o, url, hints))
    pages = [o for o in objs if _types(o) & PAGE_TYPES]
    out: dict = {}
    for o in objs:
        if "website" in _types(o) and isinstance(o.get("name"), str):
            out.setdefault("website", clean_text(o["name"], limit=200))
    for o in arts[:1] + pages + arts[1:]:
        if "headline" not in out:
            t = _ld_title(o, hints)
            if t:
                out["headline"] = t
        if "authors" not in out:
            names = _ld_names(o.get("author"), by_id) or _ld_names(o.get("creator"), by_id)
            if names:
                out["authors"] = names
        for key, name in (
            ("datePublished", "published"),
            ("dateCreated", "created"),
            ("uploadDate", "created"),
            ("dateModified", "modified"),
        ):
            v = o.get(key)
            if name not in out and isinstance(v, (str, int)) and v:
                d = parse_date(str(v))
                if d:
                    out[name] = d
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
        if "body" not in out and o is (arts[0] if arts else None) and isinstance(o.get("articleBody"), str):
            out["body"] = o["articleBody"][:500_000]
        if "keywords" not in out:
            kw = o.get("keywords")
            if isinstance(kw, str):
                kw = kw.split(",")
            if isinstance(kw, list):
                tags = [clean_text(k, limit=100) for k in kw if isinstance(k, str)]
                out["keywords"] = [t for t in tags if t]
    return out


# --------------------------------------------------------------------------- body hints
# class/id that names a byline: "byline", "pb-byline", "article__author", "byl" (NYT) -- not "Babylon".
_BYLINE_CLASS = re.compile(r"by-?line|author|(?:^|[\s_-])byl(?:$|[\s_-])", re.I)
_BAD_TOKEN = re.compile(
    r"^(?:comments?|comment-.*|.*-comments?|related|related-.*|.*-related|footer|.*-footer|sidebar|sidebar-.*|"
    r"widget|.*-widget|share|sharing|.*-share|social|promo|newsletter|author-bio|bio|outbrain|taboola|"
    r"recommended|more-stories|most-popular|trending)$",
    re.I,
)
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
        if node.text:  # script, style and the like were skipped above
            parts.append(node.text)
            n += len(node.text)
        if node is not el and node.tail:
            parts.append(node.tail)
            n += len(node.tail)
        if n > limit * 4:
            break
    return "".join(parts)


def _bad_ancestor(el, levels: int = 10, strict: bool = True) -> bool:
    """Inside comments, related-story lists, footers or (strict) asides/navs?"""
    for p in islice(el.iterancestors(), levels):
        if p.tag in ("body", "html"):
            return False
        if p.tag == "footer" or (strict and p.tag in ("aside", "nav")):
            return True
        for tok in ((p.get("class") or "") + " " + (p.get("id") or "")).split():
            if _BAD_TOKEN.match(tok):
                return True
    return False


def body_authors(tree) -> list[Credit]:
    """Authors from microdata, rel=author links and byline-ish elements."""
    # microdata: itemprop=author (a Person with itemprop=name inside, or text)
    for el in tree.xpath('//*[contains(concat(" ", normalize-space(@itemprop), " "), " author ")]')[:10]:
        if el.tag == "meta" or _bad_ancestor(el, strict=False):
            continue
        names = el.xpath('.//*[@itemprop="name"]')
        named = names[0] if names else el  # the Person's name inside it, else the element's own text
        text = named.get("content") or element_text(named)
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
        if not _BYLINE_CLASS.search(cls) or re.search(
            r"bio|avatar|image|photo|img|icon|follow|about|box|social", cls, re.I
        ):
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


def _same_site(seg: str, sites: list[str], prefix: bool = False) -> bool:
    """Does a title segment name the site? Prefix segments must match closely."""
    f = fold(seg)
    if not f:
        return False
    for s in sites:
        g = fold(s)
        if not g:
            continue
        if f == g or (len(f) >= 3 and f in g):
            return True
        if not prefix and len(g) >= 3 and g in f and len(f) <= len(g) + 8:
            return True
    return False


_BRACKET_SITE = re.compile(r"\s*[\[(]([^\[\]()]{2,60})[\])]\s*$")


def strip_site(
    title: str, sites: list[str], others: list[str], people: list[str] = (), guess: bool = False
) -> tuple[str, str]:
    """Drop site-name segments at either end of a title; return (title, dropped site).

    ``sites`` are known site names / host labels; ``others`` are other title
    candidates (og:title, h1): when one of them equals a run of segments, that
    run is the clean title. A trailing segment naming a credited person
    (``people``) goes too. With ``guess`` (title only from <title>), a short
    last segment after a long enough head is taken for an unnamed site.
    """
    title = clean_text(title, limit=500)
    m = _BRACKET_SITE.search(title)
    if m and _same_site(m.group(1), sites):
        title = title[: m.start()].strip()
    segs = _SEP.split(title)
    if len(segs) < 2:
        return title, ""
    seps = _SEP.findall(title)
    pieces = [segs[0]]
    for sp, seg in zip(seps, segs[1:], strict=False):
        pieces.extend([sp, seg])
    if pieces and not pieces[-1].strip():  # "Title ::" (trailing separator)
        pieces = pieces[:-2]
    dropped = ""
    while len(pieces) >= 3 and (_same_site(pieces[-1], sites) or (people and _same_site(pieces[-1], people, True))):
        if _same_site(pieces[-1], sites):
            dropped = dropped or pieces[-1]
        pieces = pieces[:-2]
    while len(pieces) >= 3 and _same_site(pieces[0], sites, prefix=True):
        dropped = dropped or pieces[0]
        pieces = pieces[2:]
    cur = "".join(pieces).strip()
    if len(pieces) >= 3:
        fo = [fold(o) for o in others if o]
        for end in range(len(pieces) - 2, 0, -2):
            cand = "".join(pieces[:end]).strip()
            if fold(cand) in fo and len(cand) >= len("".join(pieces[end + 1 :])):
                return cand, dropped or pieces[end + 1]
        for start in range(2, len(pieces), 2):
            cand = "".join(pieces[start:]).strip()
            if fold(cand) in fo and len(cand) >= len("".join(pieces[: start - 1])):
                return cand, dropped or pieces[0]
        if guess and pieces[-2].strip() in ("|", "-", "–", "—", "·", "»", "::"):
            head = "".join(pieces[:-2]).strip()
            if len(head.split()) >= 3 and len(pieces[-1].split()) <= 4:
                return head, dropped  # a guess: not evidence of the site's name
    return cur, dropped
