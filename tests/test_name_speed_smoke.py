"""benchmarks/name_speed.py runs end to end on the bundled corpus sample (never ../shared)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "data" / "corpus-sample"


def test_name_speed_smoke(tmp_path):
    workdir = tmp_path / "names"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WHOOSH_PATH", "KZARCHIVE_DATA_DIR")}
    args = ["--articles", "60", "--corpus", str(SAMPLE), "--workdir", str(workdir), "--reps", "1"]
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "name_speed.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for row in ("search_articles, facets+snippets", "/api/search over HTTP", "name queries", "mention facet"):
        assert row in proc.stdout, row
    results = json.loads((workdir / "name-speed-results.json").read_text())
    assert results["articles"] == 60 and results["http"]["errors"] == 0
    # English words are parsed alike in both modes: the same hits.
    assert results["function"]["counts"]["exact"] == results["function"]["counts"]["variants"]
    # A spelling the texts do not use finds the one they do only with variants.
    assert results["names"]["counts"]["exact"]["variant: Khodorkovskiy"] == 0
    assert results["names"]["counts"]["variants"]["variant: Khodorkovskiy"] >= 1
    for phase in ("function", "http", "names"):
        assert results[phase]["exact"]["n"] == results[phase]["variants"]["n"] > 0
