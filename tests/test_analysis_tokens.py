"""Words as the analysis tools count them: the index's own split and folding, without stemming."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from whoosh.analysis import RegexTokenizer

from articles.analysis.tokens import STOP_WORDS, count_words, is_stop, is_stop_bigram, words
from articles.extraction.text import extract_text
from articles.whoosh.analysis import FoldStopFilter, archive_analyzer

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"


def _index_words(text: str) -> list[str]:
    """The index analyzer's tokens before stemming, stop words kept (same tokenizer and folding)."""
    tokenizer = archive_analyzer().items[0]
    assert isinstance(tokenizer, RegexTokenizer)
    chain = tokenizer | FoldStopFilter()
    return [t.text for t in chain(text, removestops=False)]


def test_words_are_the_index_words_before_stemming_on_every_seed():
    for path in sorted(SEEDS.glob("*.txt")):
        body = extract_text(path.read_text(encoding="utf-8")).body
        assert [w.text for w in words(body)] == _index_words(body), path.name


def test_folding_and_spans():
    text = "Akordá and AKORDA, Tokayev’s"
    found = list(words(text))
    assert [w.text for w in found] == ["akorda", "and", "akorda", "tokayev", "s"]
    assert [text[w.start : w.end] for w in found] == ["Akordá", "and", "AKORDA", "Tokayev", "s"]


def test_stop_words_are_counted_and_flagged():
    counts: Counter = Counter()
    n = count_words("The CSTO and the troops.\n\nThe end", counts)
    assert n == 7
    assert counts["the"] == 3 and counts["csto"] == 1
    assert is_stop("the") and is_stop("s") and not is_stop("csto")
    assert {"a", "the", "of", "to", "was", "his"} <= STOP_WORDS


def test_bigrams_stay_inside_a_paragraph():
    counts: Counter = Counter()
    bigrams: Counter = Counter()
    count_words("Security Council met.\n\nCouncil members", counts, bigrams)
    assert bigrams[("security", "council")] == 1
    assert bigrams[("met", "council")] == 0  # across the paragraph break
    assert is_stop_bigram(("of", "kazakhstan")) and not is_stop_bigram(("security", "council"))
