"""Bytes to text (articles.extraction.decoding): the one path ingest takes for every file.

Plain pytest functions, no database: the module is pure Python.
"""

from __future__ import annotations

import codecs
import gzip
import tracemalloc
import zlib
from pathlib import Path

import pytest

from articles.extraction.decoding import DecodeError, decode, decode_document, read_page

DATA = Path(__file__).resolve().parent / "data"
LIMIT = 64 * 1024
TEXT = "Protesters gathered in Almaty; the café sold tea for £2 and «news» spread. Ещё новости.\n"
LATIN = "Prices rose by £15.8m, said the café owner in a statement on Thursday.\n" * 20


def read(data: bytes, *, html: bool = False, gzipped: bool = False, limit: int = LIMIT) -> tuple[str, str]:
    return decode_document(data, html=html, gzipped=gzipped, limit=limit)


def refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(DecodeError) as info:
        read(data, **kwargs)
    return str(info.value)


# --- byte order marks ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bom", "codec", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    ],
)
@pytest.mark.parametrize("html", [False, True], ids=["text", "html"])
def test_a_bom_names_the_encoding_and_is_not_text(bom, codec, encoding, html):
    # the wide ones are full of NUL bytes, yet text: their BOM says so
    text, used = read(bom + TEXT.encode(codec), html=html)
    assert (text, used) == (TEXT, encoding)


def test_a_bom_wins_over_the_declared_charset():
    page = f'<meta charset="iso-8859-1"><p>{TEXT}</p>'
    assert read(codecs.BOM_UTF8 + page.encode("utf-8"), html=True) == (page, "utf-8-sig")


# --- declared charset (HTML only) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        ('<meta charset="windows-1251">', "cp1251"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">', "koi8-r"),
        ("<?xml version='1.0' encoding='cp1251'?>", "cp1251"),
    ],
)
def test_the_declared_charset_is_used(head, encoding):
    page = f"{head}<p>Правительство объявило о новых мерах поддержки.</p>"
    assert read(page.encode(encoding), html=True) == (page, encoding)


def test_latin1_declared_means_windows_1252_as_in_browsers():
    page = '<meta charset="iso-8859-1"><p>“Quoted” café</p>'
    assert read(page.encode("cp1252"), html=True) == (page, "cp1252")


def test_a_page_resaved_as_utf8_under_its_old_declaration_is_utf8():
    page = f'<meta charset="windows-1251"><p>{TEXT}</p>'
    assert read(page.encode("utf-8"), html=True) == (page, "utf-8")


def test_a_declared_utf8_that_does_not_decode_is_detected_instead():
    page = '<meta charset="utf-8"><p>' + LATIN + "</p>"
    text, encoding = read(page.encode("latin-1"), html=True)
    assert text == page and encoding in {"cp1252", "latin_1"}


@pytest.mark.parametrize("label", ["utf-16", "utf-32le", "no-such-charset"])
def test_a_declaration_that_cannot_be_true_is_ignored(label):
    page = f'<meta charset="{label}"><p>{TEXT}</p>'
    assert read(page.encode("utf-8"), html=True) == (page, "utf-8")


def test_plain_text_has_no_declaration_to_read():
    page = f'<meta charset="koi8-r"><p>{TEXT}</p>'
    assert read(page.encode("utf-8")) == (page, "utf-8")


# --- strict UTF-8, then detection ---------------------------------------------------------------------
def test_utf8_is_read_strictly():
    assert read(TEXT.encode("utf-8")) == (TEXT, "utf-8")


def test_a_latin1_pound_sign_is_latin1_not_an_asian_encoding():
    text, encoding = read((DATA / "text" / "bbc-sport-199-latin1.txt").read_bytes())
    assert "£15.8m" in text and encoding in {"cp1252", "latin_1"}
    assert read(LATIN.encode("latin-1"), html=True)[0] == LATIN


def test_cyrillic_without_a_declaration_is_detected():
    text = "Правительство объявило о новых мерах поддержки малого бизнеса в регионах. " * 5
    assert read(text.encode("cp1251"))[0] == text


def test_a_page_read_leniently_gets_replacement_characters_where_nothing_fits():
    # random high bytes: no encoding fits them; the lenient reader still returns text
    assert isinstance(read_page(b"<p>" + bytes(range(128, 256)) * 4 + b"</p>"), str)
    with pytest.raises(DecodeError, match="cannot tell the text's encoding"):
        decode(bytes(range(128, 256)) * 4)


# --- refusals: empty, binary ----------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b" \n\t\r\n "])
def test_empty(data):
    assert refusal(data) == "file is empty"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        b"%PDF-1.4\n" + bytes(range(1, 32)) * 100,  # no NUL, but a page of control characters
    ],
    ids=["png", "controls"],
)
def test_binary(data):
    assert refusal(data) == "file is binary, not text"


def test_a_nul_past_the_sniffed_head_is_still_binary():
    data = b"Headline\n\n" + b"Words of the article. " * 1000 + b"\x00 and more words.\n"
    assert refusal(data, html=True) == "file is binary, not text (it contains NUL characters)"


# --- the one size limit, on what the file decompresses to -----------------------------------------------
def test_the_limit_is_inclusive_for_plain_and_gzipped_files():
    exact = b"a" * LIMIT
    assert read(exact)[0] == exact.decode()
    assert read(gzip.compress(exact), gzipped=True)[0] == exact.decode()
    assert refusal(exact + b"a") == f"file is {LIMIT + 1:,} bytes, over the {LIMIT:,}-byte limit (INGEST_MAX_BYTES)"
    assert "decompresses to over the" in refusal(gzip.compress(exact + b"a"), gzipped=True)


def bomb(megabytes: int) -> bytes:
    """A gzip of spaces that would expand to `megabytes` MB, built without holding them."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1024 * 1024)
    return b"".join([*(deflate.compress(chunk) for _ in range(megabytes)), deflate.flush()])


def test_a_gzip_bomb_is_refused_without_being_expanded():
    data = bomb(32)
    assert len(data) < 64 * 1024
    tracemalloc.start()
    try:
        message = refusal(data, gzipped=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message == f"decompresses to over the {LIMIT:,}-byte limit (INGEST_MAX_BYTES)"
    assert peak < 4 * 1024 * 1024  # unbounded, it would have expanded 32 MB


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(TEXT.encode())[:-12], "not a valid gzip file (truncated)"),
        (b"\x1f\x8b\x08\x00garbage", "not a valid gzip file ("),
        (TEXT.encode(), "not a valid gzip file ("),
        (b"", "not a valid gzip file (truncated)"),
    ],
    ids=["truncated", "bad-stream", "not-gzip", "empty"],
)
def test_a_broken_gzip(data, message):
    assert refusal(data, gzipped=True).startswith(message)


def test_only_one_gzip_layer_is_undone():
    inner = gzip.compress(TEXT.encode())
    assert refusal(gzip.compress(inner), gzipped=True) == "file is binary, not text"


# --- the lenient reader for callers holding a page's bytes -------------------------------------------------
def test_read_page_unpacks_gzip_by_its_magic_and_keeps_the_limit():
    page = f"<html><body><p>{TEXT}</p></body></html>".encode()
    assert read_page(gzip.compress(page)) == read_page(page) == page.decode()
    assert read_page(page, limit=len(page) - 1) is None
    assert read_page(gzip.compress(page), limit=len(page) - 1) is None
    assert read_page(bomb(8)) is None  # over the default limit, 5 MiB
    assert read_page(b"\x1f\x8b\x08\x00garbage") is None


def test_read_page_does_not_refuse_what_ingest_would():
    assert read_page(b"") == ""
    assert read_page(b"<p>a \x00 zero byte</p>") == "<p>a \x00 zero byte</p>"


def test_a_wide_encodings_nul_character_is_binary():
    data = codecs.BOM_UTF16_LE + "Headline\n\nWords \x00 of the article.\n".encode("utf-16-le")
    assert refusal(data) == "file is binary, not text (it contains NUL characters)"
