"""benchmarks/scale.py --quick runs end to end on the bundled corpus sample (never ../shared)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(__file__).resolve().parent / "data" / "corpus-sample"


def test_scale_quick_smoke(tmp_path):
    workdir = tmp_path / "scale"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WHOOSH_PATH", "KZARCHIVE_DATA_DIR")}
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "scale.py"),
            "--quick",
            "--corpus",
            str(SAMPLE),
            "--workdir",
            str(workdir),
            "--load-seconds",
            "2",
            "--clients",
            "4",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    for row in (
        "ingest_bytes + on-commit index",
        "rebuild_index",
        "raw Whoosh writer",
        "search_articles, facets",
        "/api/search over HTTP",
        "/search/ HTML page",
        "SQLite FTS5",
        "Saved -> searchable",
        "Load:",
    ):
        assert row in out, row
    results = json.loads((workdir / "results.json").read_text())
    assert results["ingest"]["failed"] == 0
    assert results["rebuild"]["docs"] == 60
    assert results["http"]["api"]["errors"] == 0 and results["http"]["html"]["errors"] == 0
    assert results["load"]["errors"] == 0
    assert results["visibility"]["new_ms"] < 30_000 and results["visibility"]["edit_ms"] < 30_000
    # The search function finds what raw Whoosh finds, query by query.
    assert results["function"]["counts"] == results["raw_whoosh"]["counts"]
    # Nothing was written outside the work folder.
    assert (workdir / "whoosh_index").is_dir() and (workdir / "kzarchive.sqlite3").exists()
