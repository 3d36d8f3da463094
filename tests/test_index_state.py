"""A missing, damaged or incomplete index is an error (503 that says so), not an empty archive (issue 11
items 3-4). Writes never create an index; clear_index, rebuild_index and migrate on an empty archive do."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.index_state import IndexIncomplete, IndexMissing
from articles.models import Article

pytestmark = pytest.mark.django_db


def _assert_503(response, api: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"]
    if api:
        assert response["Content-Type"] == "application/json"
        assert "search index" in response.json()["error"]
    else:
        html = response.content.decode()
        assert "Search is unavailable" in html and "search index" in html
        assert "/tmp" not in html  # the folder is logged, not shown


def test_index_folder_removed_is_a_503_not_an_empty_archive(seeded, search_backend, client, caplog):
    search_backend.searcher()
    shutil.rmtree(search_backend.path)
    _assert_503(client.get("/search/?q=Tokayev"), api=False)
    _assert_503(client.get("/api/search?q=Tokayev"), api=True)
    _assert_503(client.get("/"), api=False)
    assert "does not exist" in caplog.text  # the operator's log names the cause
    article = next(iter(seeded.values()))
    page = client.get(f"/articles/{article.pk}/?q=Tokayev")  # the article itself is in the database
    assert page.status_code == 200
    assert "Related articles cannot be listed right now" in page.content.decode()


def test_a_write_never_creates_an_index(seeded, search_backend, django_capture_on_commit_callbacks):
    shutil.rmtree(search_backend.path)
    article = next(iter(seeded.values()))
    with django_capture_on_commit_callbacks(execute=True):
        article.title = "Edited while the index is gone"
        article.save()
    assert Article.objects.get(pk=article.pk).title == "Edited while the index is gone"  # the save stands
    assert not Path(search_backend.path).exists()  # no fresh one-article index
    with pytest.raises(IndexMissing):
        search_backend.update(search_backend_index(), [article])


def search_backend_index():
    from haystack import connections

    return connections["default"].get_unified_index().get_index(Article)


def test_an_index_with_too_few_articles_is_incomplete(seeded, search_backend, client):
    for article in list(seeded.values())[:3]:
        search_backend.remove(article)
    with pytest.raises(IndexIncomplete):
        search_backend.searcher()
    _assert_503(client.get("/api/search?q=Tokayev"), api=True)
    call_command("rebuild_index", interactive=False, verbosity=0)
    response = client.get("/api/search?q=")
    assert response.status_code == 200 and response.json()["count"] == len(seeded)


def test_rebuild_index_brings_a_removed_index_back(seeded, search_backend, client):
    shutil.rmtree(search_backend.path)
    call_command("rebuild_index", interactive=False, verbosity=0)
    assert client.get("/api/search?q=").json()["count"] == len(seeded)


def test_a_damaged_table_of_contents_is_a_503(seeded, search_backend, client):
    toc = max(Path(search_backend.path).glob("_MAIN_*.toc"))
    toc.write_bytes(b"\x00garbage" * 20)
    _assert_503(client.get("/api/search?q=Tokayev"), api=True)
    call_command("rebuild_index", interactive=False, verbosity=0)
    assert client.get("/api/search?q=").json()["count"] == len(seeded)


def corrupt(folder: str, suffix: str) -> list[str]:
    """Overwrite the second half of every segment part whose name ends in `suffix` with garbage (same size):
    a plain segment's file, or that part inside a compound segment's `.seg` file (a save's, an ingest
    batch's: articles/whoosh/writing.py, StagedSegmentWriter). Returns the parts' names."""
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.structfile import StructFile

    def garble(data: bytearray, start: int, length: int) -> None:
        half = start + length // 2
        data[half : start + length] = bytes((i * 131 + 7) % 251 for i in range(start + length - half))

    damaged = []
    for path in Path(folder).iterdir():
        if not path.name.startswith("MAIN_"):
            continue
        data = bytearray(path.read_bytes())
        if path.name.endswith(suffix):
            garble(data, 0, len(data))
            damaged.append(path.name)
        elif path.name.endswith(".seg"):
            with path.open("rb") as handle:
                parts = CompoundStorage(StructFile(handle), use_mmap=False)
                ranges = {name: parts.range(name) for name in parts.list() if name.endswith(suffix)}
            for name, (offset, length) in ranges.items():
                garble(data, offset, length)
                damaged.append(name)
        path.write_bytes(bytes(data))
    return damaged


@pytest.mark.parametrize("layout", ["saved", "rebuilt"])
@pytest.mark.parametrize("suffix", ["._stored.col", ".trm"])
def test_check_index_reports_damage_in_one_line_and_repair_rebuilds(
    seeded, search_backend, client, suffix, layout, capsys
):
    if layout == "rebuilt":  # plain segment files, as rebuild_index writes them; "saved": ingest's compound ones
        call_command("rebuild_index", interactive=False, verbosity=0)
    assert corrupt(search_backend.path, suffix)
    response = client.get("/api/search?q=Tokayev")
    assert response.status_code == 503 or response.json()["count"] == _true_count("Tokayev", seeded)
    with pytest.raises(CommandError) as raised:
        call_command("check_index", "--quiet")
    message = str(raised.value)
    assert "damaged" in message and "check_index --repair" in message and "\n" not in message
    assert "Traceback" not in capsys.readouterr().err
    call_command("check_index", "--repair", "--quiet")
    out = capsys.readouterr().out
    assert "Repairing: rebuilding" in out and "index is in step with the database." in out
    assert client.get("/api/search?q=").json()["count"] == len(seeded)


def _true_count(word: str, seeded) -> int:
    return sum(word.lower() in (a.title + " " + a.body).lower() for a in seeded.values())
