#!/usr/bin/env python3
"""How often the spelling-variant key blurs English words into each other, measured on real English.

Usage (from the repo root, no Django needed; about 10 s):

    .venv/bin/python benchmarks/name_variants.py [--corpus ../shared/corpora] [--show 40]

The vocabulary: every alphabetic `\\w+` token of the 2,225 BBC News articles (titles and bodies),
as lower-case types. An "ordinary word" is a type the corpus also writes in lower case at least once
(so not only a name); "all types" includes the names (Blair, Betts...).

A type is **falsely merged** when its key is shared by another type of the vocabulary: a search for
one would also find the other. Nothing in the BBC vocabulary is a romanisation variant of a Russian or
Kazakh name, so every merge is counted as false, even those that arguably are one name (Dmitry and
Dmitriy, Hayley and Hailey); they are listed with --show for the reader to judge.

Three keyings, side by side in one run:
- `fold only`: lower-case ASCII transliteration (what the rules start from; merges nothing English).
- `rules, no gate`: the romanisation rules applied to every token (what the gate prevents).
- `kzarchive`: `articles.names.variants.spelling_key`, the rules only for name-like tokens.

Also: how many of a set of real name groups (Tokayev/Tokaev/Tokaiev/Toqaev/Токаев...) each keying
joins, the keying's speed per token against `fold` alone (uncached, CPU time), and the cost of finding
mentions of the fixture's entities in an article (what ingest adds per article, and what an entity edit
costs per article it rescans) against splitting the same text into words.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from articles.names import variants  # noqa: E402  (no Django)

# Real spellings of one name each (outlets, BGN/PCGN, Library of Congress, Ukrainian-style, Kazakh Latin,
# Cyrillic), as the tests use them.
NAME_GROUPS = [
    ("Tokayev", "Tokaev", "Tokaiev", "Toqaev", "Токаев", "Тоқаев"),
    ("Nazarbayev", "Nazarbaev", "Назарбаев"),
    ("Massimov", "Masimov", "Масимов"),
    ("Zhanaozen", "Janaozen", "Жанаозен", "Жаңаөзен"),
    ("Kulibayev", "Kulibaev", "Кулибаев"),
    ("Almaty", "Алматы"),
    ("Kassym", "Kasym", "Қасым"),
    ("Jomart", "Zhomart", "Жомарт"),
    ("Yerlan", "Erlan", "Ерлан"),
    ("Dmitriy", "Dmitrii", "Dmitry", "Дмитрий"),
    ("Kairat", "Kayrat", "Қайрат"),
    ("Ukibai", "Ukibay", "Үкібай"),
    ("Khromtau", "Hromtau", "Хромтау"),
    ("Elbasy", "Yelbasy", "Елбасы"),
    ("Vasilyev", "Vasiliev", "Vasilev", "Васильев"),
    ("Kyzylorda", "Qyzylorda", "Кызылорда", "Қызылорда"),
    ("Aktobe", "Aqtobe", "Актобе", "Ақтөбе"),
    ("Kostanay", "Qostanay", "Kostanai", "Костанай", "Қостанай"),
    ("Akorda", "Aqorda", "Ақорда", "Akordá"),
    ("Aleksey", "Alexey", "Aleksei", "Алексей"),
    ("Nazarbayeva", "Nazarbaeva", "Назарбаева"),
    ("Kusherbayev", "Kusherbaev", "Кушербаев"),
    ("Yevgeniy", "Evgeny", "Yevgeny", "Евгений"),
    # Known misses of the rules (the entity table joins these): one spelling is an English word,
    # or the Kazakh and Russian forms differ in more than romanisation.
    ("Andrey", "Andrei", "Андрей"),
    ("Yuriy", "Yuri", "Юрий"),
    ("Nurtleu", "Нұртілеу"),
]


def bbc_texts(corpus: Path) -> list[str]:
    with gzip.open(corpus / "bbc-news" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [f"{d['title']}\n\n{d['body']}" for d in map(json.loads, fh)]


def vocabulary(corpus: Path) -> tuple[Counter, set[str]]:
    path = corpus / "bbc-news" / "articles.jsonl.gz"
    if not path.exists():
        sys.exit(f"no BBC News corpus at {path} (use --corpus)")
    counts: Counter = Counter()
    lowercase_used: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            for m in re.finditer(r"\w+", f"{doc['title']}\n{doc['body']}"):
                word = m.group()
                if not word.isalpha():
                    continue
                lower = word.lower()
                counts[lower] += 1
                if word[0].islower():
                    lowercase_used.add(lower)
    return counts, lowercase_used


def merged_groups(types, key) -> list[set[str]]:
    by_key = defaultdict(set)
    for t in types:
        by_key[key(t)].add(t)
    return [g for g in by_key.values() if len(g) > 1]


def cpu_per_token(fn, tokens) -> float:
    start = time.process_time()
    for t in tokens:
        fn(t)
    return (time.process_time() - start) / len(tokens)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpora")
    ap.add_argument("--show", type=int, default=0, help="list this many merged groups of each keying")
    args = ap.parse_args()

    counts, lowercase_used = vocabulary(args.corpus)
    types = sorted(counts)
    ordinary = [t for t in types if t in lowercase_used]
    print(
        f"BBC News vocabulary: {len(types):,} types ({sum(counts.values()):,} tokens), {len(ordinary):,} ordinary words"
    )
    variants._english_words()  # load the word list before timing anything

    keyings = {
        "fold only": variants.fold,
        "rules, no gate": lambda t: variants.romanisation_key(variants.fold(t)),
        "kzarchive": variants.spelling_key,
    }
    print()
    print(f"{'keying':16} {'ordinary words merged':>24} {'all types merged':>20} {'name groups joined':>20}")
    for name, key in keyings.items():
        groups = merged_groups(types, key)
        in_groups = {t for g in groups for t in g}
        n_ord = sum(1 for t in ordinary if t in in_groups)
        n_all = len(in_groups)
        joined = sum(1 for g in NAME_GROUPS if len({key(s) for s in g}) == 1)
        print(
            f"{name:16} {n_ord:>8,} ({n_ord / len(ordinary):7.3%})     "
            f"{n_all:>6,} ({n_all / len(types):6.3%})   {joined:>8} / {len(NAME_GROUPS)}"
        )
        if args.show:
            shown = sorted(sorted(g) for g in groups if any(t in lowercase_used for t in g))[: args.show]
            print(f"    with an ordinary word: {shown}")
            shown = sorted(sorted(g) for g in groups if not any(t in lowercase_used for t in g))[: args.show]
            print(f"    names only: {shown}")

    keyed = sum(1 for t in types if variants.is_variant_key(variants.spelling_key(t)))
    print(f"\nkzarchive applies the rules to {keyed:,} of {len(types):,} types ({keyed / len(types):.1%}).")
    missed = [g for g in NAME_GROUPS if len({variants.spelling_key(s) for s in g}) > 1]
    for g in missed:
        print("  not joined by rule:", ", ".join(f"{s} -> {variants.spelling_key(s)}" for s in g))

    # Speed, uncached: every type once, through the undecorated functions.
    fold, key = variants.fold.__wrapped__, variants.spelling_key.__wrapped__
    variants.fold.cache_clear()
    base = cpu_per_token(fold, types)
    variants.fold.cache_clear()
    full = cpu_per_token(key, types)
    print(
        f"\nspeed (CPU, uncached, {len(types):,} types): fold {base * 1e6:.1f} µs/token, "
        f"spelling_key {full * 1e6:.1f} µs/token ({full / base:.2f}x fold)"
    )
    mention_speed(args.corpus)


def mention_speed(corpus: Path) -> None:
    """Matching the fixture's entities in every BBC article, against a plain \\w+ split (warm caches)."""
    from articles.names.mentions import Matcher

    entries = json.loads((REPO / "fixtures" / "entities.json").read_text(encoding="utf-8"))["entities"]
    names = [(i, n) for i, e in enumerate(entries) for n in [e["name"], *(v["text"] for v in e["variants"])]]
    matcher = Matcher(names)
    texts = bbc_texts(corpus)
    for text in texts:  # warm the key caches, as a running archive's are
        matcher.count(text)
    start = time.process_time()
    for text in texts:
        re.findall(r"\w+", text)
    split = (time.process_time() - start) / len(texts)
    start = time.process_time()
    found = sum(len(matcher.count(text)) for text in texts)
    match = (time.process_time() - start) / len(texts)
    one = Matcher([(0, entries[0]["name"]), *((0, v["text"]) for v in entries[0]["variants"])])
    start = time.process_time()
    for text in texts:
        one.could_mention(text, one.first_keys)
    scan = (time.process_time() - start) / len(texts)
    print(
        f"mentions ({len(entries)} entities, {len(names)} names; {len(texts):,} BBC articles, {found:,} "
        f"article-entity pairs found): {match * 1e3:.2f} ms/article CPU ({match / split:.1f}x a \\w+ split of "
        f"the same text); the scan after an entity edit: {scan * 1e3:.2f} ms/article ({scan / split:.1f}x the "
        f"split), about {scan * 10_000:.0f} s of CPU at 10,000 articles"
    )


if __name__ == "__main__":
    main()
