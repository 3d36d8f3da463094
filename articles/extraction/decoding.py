"""One path from a file's bytes to text: the size limit, bounded gunzip, binary sniffing, the charset.

Ingest calls `decode_document` once per file and hands the text to the extractors, which never see
bytes. In order: refuse what is over the size limit (a .gz by what it decompresses to, found without
expanding past the limit: a zip bomb is refused, not expanded), refuse what is empty or binary, then
decode: a byte order mark, else (HTML) the charset the page declares, else strict UTF-8, else
detection. Each refusal is a `DecodeError` whose message is shown to the user as is.

Pure Python, no Django: the limit is an argument (ingest passes settings.INGEST_MAX_BYTES).
"""

from __future__ import annotations

import codecs
import re
import zlib
from contextlib import suppress

from charset_normalizer import from_bytes

# The default of settings.INGEST_MAX_BYTES, for callers without settings (benchmarks, extractor tests).
MAX_BYTES = 5 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# The first bytes that name an encoding; a UTF-32-LE mark starts like the UTF-16-LE one, so it comes first.
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Text in these is full of NUL bytes by design: their BOM says it is text.
WIDE_BOMS = tuple(bom for bom, encoding in BOMS if encoding != "utf-8-sig")
SINGLE_BYTE_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "cp1251", "koi8_r", "cp1250", "iso8859_2", "cp1254"]
_HIGH_BYTES = bytes(range(128, 256))

_META_CHARSET = re.compile(rb"""<meta[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]{2,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}encoding\s*=\s*["']([A-Za-z0-9_.\-]{2,40})""", re.I)
# WHATWG: in HTML these labels mean windows-1252.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii", "x-user-defined"}
_NUL = "file is binary, not text (it contains NUL characters)"


class DecodeError(ValueError):
    """Bytes that cannot be read as a document; the message is shown to the user as is."""


def decode_document(data: bytes, *, html: bool, gzipped: bool, limit: int) -> tuple[str, str]:
    """(text, encoding) of a file's bytes, or DecodeError saying why they are not a readable document."""
    payload = unpack(data, gzipped=gzipped, limit=limit)
    if not payload.strip():
        raise DecodeError("file is empty")
    if looks_binary(payload):
        raise DecodeError("file is binary, not text")
    # A NUL past the 8 KB looks_binary reads is binary too (PostgreSQL text cannot hold it); looked for
    # before decoding, as no detector can name the encoding of binary bytes.
    if b"\x00" in payload and not payload.startswith(WIDE_BOMS):
        raise DecodeError(_NUL)
    text, encoding = decode(payload, html=html)
    if "\x00" in text:  # U+0000 in UTF-16 or UTF-32 text
        raise DecodeError(_NUL)
    return text, encoding


def unpack(data: bytes, *, gzipped: bool, limit: int) -> bytes:
    """The document's bytes, at most `limit` of them; a .gz is decompressed without trusting its header."""
    if not gzipped:
        if len(data) > limit:
            raise DecodeError(f"file is {len(data):,} bytes, over the {limit:,}-byte limit (INGEST_MAX_BYTES)")
        return data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise DecodeError(f"not a valid gzip file ({exc})") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise DecodeError(f"decompresses to over the {limit:,}-byte limit (INGEST_MAX_BYTES)")
    if not inflater.eof:
        raise DecodeError("not a valid gzip file (truncated)")
    return out


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters in the first 8 KB: an image, a PDF, an executable..."""
    head = data[:8192]
    if head.startswith(WIDE_BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > len(head) * 0.05


def decode(data: bytes, *, html: bool = False) -> tuple[str, str]:
    """(text, encoding): a BOM, else the charset an HTML page declares, else strict UTF-8, else detection."""
    for bom, encoding in BOMS:
        if data.startswith(bom):  # the BOM names the encoding: a byte that does not fit becomes U+FFFD
            return data.decode(encoding, errors="replace"), encoding
    declared = declared_charset(data) if html else None
    if declared and declared != "utf-8":
        # A page re-saved as UTF-8 often keeps its old declaration: bytes that are valid UTF-8 with real
        # multi-byte sequences are UTF-8 in practice. Any other declared charset is trusted; a declared
        # UTF-8 that does not decode is taken as undeclared (pages lie about that one).
        if _plausible_utf8(data):
            return data.decode("utf-8"), "utf-8"
        return data.decode(declared, errors="replace"), declared
    with suppress(UnicodeDecodeError):
        return data.decode("utf-8"), "utf-8"
    encoding = detect(data)
    if encoding is None:
        raise DecodeError("cannot tell the text's encoding")
    return data.decode(encoding, errors="replace"), encoding


def declared_charset(data: bytes) -> str | None:
    """The codec an HTML page declares in its first 8 KB (XML declaration, then <meta>); None if none we know."""
    head = data[:8192]
    m = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    if not m:
        return None
    label = m.group(1).decode("ascii", "ignore").strip().lower()
    try:
        name = codecs.lookup("cp1252" if label in _WINDOWS_1252_LABELS else label).name
    except LookupError:
        return None
    # A page cannot really be UTF-16 or UTF-32 if its declaration was readable as ASCII.
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else name


def _plausible_utf8(data: bytes) -> bool:
    if not re.search(rb"[\xc2-\xf4][\x80-\xbf]", data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect(data: bytes) -> str | None:
    """charset-normalizer's guess at bytes that are not UTF-8; None when nothing fits."""
    # A few stray high bytes in English text (a "£" in Latin-1) are too little evidence for the
    # detector, which then guesses multi-byte Asian encodings; weigh single-byte encodings first.
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    best = None
    if high < len(data) * 0.02:
        rank = {name: i for i, name in enumerate(SINGLE_BYTE_ENCODINGS)}
        found = list(from_bytes(data, cp_isolation=SINGLE_BYTE_ENCODINGS))
        # Near-ties go to the commoner encoding (the list's order), not the detector's whim.
        found.sort(key=lambda m: (round(m.chaos, 2), -round(m.coherence, 2), rank.get(m.encoding, 99)))
        best = found[0] if found else None
    best = best or from_bytes(data).best()
    return best.encoding if best is not None else None


def read_page(data: bytes, *, limit: int = MAX_BYTES) -> str | None:
    """A page's text for callers holding its bytes outside ingest (benchmark, tests): gzip is known by its
    magic; None when over `limit` (also gunzipped) or a broken gzip; binary is read, not refused."""
    try:
        payload = unpack(data, gzipped=data.startswith(GZIP_MAGIC), limit=limit)
    except DecodeError:
        return None
    return decode_html(payload)


def decode_html(data: bytes) -> str:
    """A page's text whatever its bytes: `decode` for HTML, else UTF-8 with U+FFFD. Never raises."""
    try:
        return decode(data, html=True)[0]
    except DecodeError:
        return data.decode("utf-8", errors="replace")
