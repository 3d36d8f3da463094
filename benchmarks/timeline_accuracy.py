#!/usr/bin/env python
"""The timeline's date reading on the five seed articles, scored against the hand-made list
(tests/data/timeline_gold.json), beside dateparser's own `search_dates` as a baseline.

    .venv/bin/python benchmarks/timeline_accuracy.py

The baseline is what a first try would do: `search_dates(body, settings={"RELATIVE_BASE": the last day
of the article's known span, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]})`, each
date it returns placed in the sentence where its text occurs (ranges as dateparser reads them). No
database: bodies come from the text extractor, dates from the list's header, as ingest stores them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kzarchive.settings")


def main() -> int:
    import django

    django.setup()
    from dateparser.search import search_dates

    from articles.analysis.datetext import find_mentions, sentences
    from articles.extraction.text import extract_text
    from articles.extraction.types import PartialDate
    from tests.test_analysis_timeline import score

    gold = json.loads((REPO / "tests" / "data" / "timeline_gold.json").read_text(encoding="utf-8"))
    ours, baseline = [], []
    for name, stated in gold["articles"].items():
        body = extract_text((REPO / "fixtures" / "seeds" / name).read_text(encoding="utf-8")).body
        parts = [int(p) for p in stated.split()[0].split("-")]
        published = PartialDate(*parts)
        for m in find_mentions(body, published):
            ours += [{"file": name, "day": d.isoformat(), "sentence": m.sentence} for d in m.days]
        base = dt.datetime.combine(published.end_date(), dt.time())  # "past" then means before its last day
        settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["day", "month"]}
        spans = sentences(body)
        at = 0
        for text, when in search_dates(body, languages=["en"], settings=settings) or []:
            pos = body.find(text, at)
            at = pos + len(text) if pos >= 0 else at
            sentence = next((body[s:e] for s, e in spans if s <= pos < e), text)
            baseline.append({"file": name, "day": when.date().isoformat(), "sentence": sentence})
    print(f"hand-made list: {len(gold['mentions'])} mentions in 5 articles")
    for label, predicted in (("kzarchive timeline", ours), ("dateparser search_dates alone", baseline)):
        precision, recall, unsupported = score(predicted, gold["mentions"])
        print(f"{label:32s} predicted {len(predicted):3d}  precision {precision:.2f}  recall {recall:.2f}")
        for p in unsupported[:8]:
            print(f"    not supported: {p['day']} in {p['file'][:3]}: {p['sentence'][:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
