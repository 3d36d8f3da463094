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


def load_scale():
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale_benchmark", REPO / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_session_workload_smoke(db, search_backend, isolated_index, tmp_path, client):
    """The session workload (scale.py --workload session) in-process on 60 sample articles, one rep: every path
    finds what raw Whoosh finds step by step, and every step's URL is a page and an API answer with the same
    count. (Its HTTP phase runs gunicorn on the benchmark's own archive: scale.py --quick --workload session.)"""
    from haystack import connections

    from articles.models import Article

    scale = load_scale()
    # Three sessions (broad, narrow, two words) keep it quick; the benchmark runs all of them.
    scale.SESSION_QUERIES = scale.SESSION_QUERIES[:3]
    scale.phase_bulk_fill(scale.build_documents(SAMPLE, 60))
    search_backend.update(connections["default"].get_unified_index().get_index(Article), Article.objects.all())

    plans = scale.session_plans()
    assert all([name for name, _ in plan] == list(scale.SESSION_STEPS) for plan in plans.values())
    first, *_, back = plans["market"]
    assert first[1] == back[1] == {"q": "market", "page": 1, "sort": ""}
    clicked = [step for name, plan in plans.items() for step_name, step in plan if step_name == "+year/author"]
    assert any(step and step.get("outlet") and (step.get("year") or step.get("author")) for step in clicked)

    session = {
        "reps": 1,
        "function": scale.phase_session_function(plans, 1),
        "raw_whoosh": scale.phase_session_raw(plans, 1, isolated_index),
        "fts5": scale.phase_session_fts5(plans, 1, tmp_path / "fts5.sqlite3"),
        "loadavg": {"start": (0, 0, 0), "end": (0, 0, 0)},
    }
    assert session["function"]["counts"] == session["raw_whoosh"]["counts"]
    for path in (session["function"]["off"], session["function"]["on"], session["raw_whoosh"], session["fts5"]):
        assert set(path) >= {"first", "refine", "per_step"}
    assert "full" in session["function"]["off"] and "full" in session["fts5"]

    for name, *_ in scale.SESSION_QUERIES:
        for (_, step), count in zip(plans[name], session["function"]["counts"][name], strict=True):
            if step is None:
                continue
            if name == "market":
                assert client.get(scale.session_url("/search/", step)).status_code == 200
            answer = client.get(scale.session_url("/api/search", step))
            assert answer.status_code == 200 and answer.json()["count"] == count

    # As a browser that runs static/js/progressive.js (run_script_sessions): a new query's page is sent before its
    # counts, and the counts it then fetches are the API's.
    search_backend._query_cache.clear()
    url = scale.session_url("/search/", plans["market"][0][1])
    client.cookies.load(scale.SCRIPT_COOKIE["Cookie"])
    assert b"data-counts-url" in client.get(url).content
    counts = client.get(url, HTTP_ACCEPT="application/json").json()
    assert counts["count"] == session["function"]["counts"]["market"][0]
    assert b"data-counts-url" not in client.get(url).content  # now kept: whole at once

    text = scale.session_report(60, {"workdir": str(tmp_path), "session": session})
    for row in ("search_articles, cache off", "search_articles, cache on", "raw Whoosh", "SQLite FTS5", "back"):
        assert row in text, row
