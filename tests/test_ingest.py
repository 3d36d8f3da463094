"""Ingest: faithful storage, idempotence, curator edits surviving, and every kind of bad input."""

import gzip
import hashlib
import shutil

import pytest
from django.core.management import CommandError, call_command

from articles.ingest import FAILED, Curated, ingest_bytes, ingest_paths
from articles.model_parts import FROM_CURATOR, FROM_METADATA_FILE, FROM_TEXT
from articles.models import Article
from tests.conftest import DATA, SEEDS


def test_raw_text_and_checksum_are_verbatim(seeded):
    for path in SEEDS.glob("*.txt"):
        article = seeded[path.name]
        data = path.read_bytes()
        assert bytes(article.raw_bytes) == data
        assert article.raw_text == data.decode("utf-8")
        assert article.sha256 == hashlib.sha256(data).hexdigest()


def test_seed_metadata(seeded):
    a = seeded["000_9c5419554aa1a0fb.txt"]
    assert (a.source.name, a.author_names, a.published_iso, a.date_precision) == (
        "PolitNavigator",
        ["Ainur Kurmanov"],
        "2022-01-06",
        "day",
    )
    assert a.field_sources["published"] == FROM_TEXT
    b = seeded["002_1e562040c40c0d33.txt"]
    assert (b.published_iso, b.date_precision, b.field_sources["published"]) == ("2022", "year", FROM_METADATA_FILE)
    assert b.date_note.startswith("Not printed on the page.")
    c = seeded["004_0023f067e5c2ca8b.txt"]
    assert c.source is None and c.author_names == []
    d = seeded["003_1d74b9649cbe830b.txt"]
    assert [(x.person.name, x.role) for x in d.credits.all()] == [
        ("Sofia Hriniova", "author"),
        ("Victria Batarchuk", "translator"),
        ("Artem Velichko", "editor"),
    ]
    assert all(x.stance and x.stance_rationale for x in seeded.values())
    assert {x.stance.slug for x in seeded.values()} == {"supportive-of-russia", "analytical", "critical-of-russia"}


def test_second_run_changes_nothing(seeded, capsys):
    before = {a.pk: a.updated_at for a in Article.objects.all()}
    call_command("ingest", str(SEEDS))
    assert "0 created, 0 updated, 5 unchanged, 0 failed" in capsys.readouterr().out
    assert {a.pk: a.updated_at for a in Article.objects.all()} == before


def test_changed_file_updates_but_keeps_curator_edits(seeded, tmp_path):
    name = "001_85c1c91c220d666a.txt"
    article = seeded[name]
    article.title = "Curated title"
    article.field_sources = {**article.field_sources, "title": FROM_CURATOR}
    article.save()

    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    changed = (folder / name).read_bytes().replace(b"Earlier this month", b"Early this month")
    (folder / name).write_bytes(changed)
    report = ingest_paths([folder])
    assert report.summary() == "0 created, 1 updated, 4 unchanged, 0 failed"

    article.refresh_from_db()
    assert article.title == "Curated title"
    assert article.body.startswith("Early this month")
    assert article.sha256 == hashlib.sha256(changed).hexdigest()
    assert bytes(article.raw_bytes) == changed


def test_latin1_file_is_detected_and_kept_verbatim(db, search_backend):
    path = DATA / "text" / "bbc-sport-199-latin1.txt"
    outcome = ingest_bytes(path.name, path.read_bytes())
    assert outcome.status == "created", outcome.message
    article = Article.objects.get(pk=outcome.article_id)
    assert "£15.8m" in article.body
    assert bytes(article.raw_bytes) == path.read_bytes()
    assert article.raw_encoding.lower().replace("_", "-") in {"latin-1", "iso-8859-1", "cp1252", "windows-1252"}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "file is empty"),
        ("blank.txt", b"  \n\n \t\n", "file is empty"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("notes.docx", b"Some words", "unsupported file type"),
        ("bomb.html.gz", gzip.compress(b"<p>" + b"a" * (6 * 1024 * 1024)), "over the"),
        ("broken.html.gz", b"\x1f\x8b\x08\x00garbage", "not a valid gzip file"),
    ],
)
def test_bad_input_fails_with_one_clear_line(db, search_backend, name, data, message):
    outcome = ingest_bytes(name, data)
    assert outcome.status == FAILED
    assert message in outcome.message
    assert "\n" not in outcome.message and "Traceback" not in outcome.message
    assert Article.objects.count() == 0


def test_command_reports_failures_and_still_lands_good_files(db, search_backend, tmp_path, settings, capsys):
    settings.INGEST_MAX_BYTES = 20_000
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "huge.txt").write_bytes(b"word " * 10_000)
    shutil.copy(SEEDS / "002_1e562040c40c0d33.txt", tmp_path)
    with pytest.raises(CommandError, match="4 file"):
        call_command("ingest", str(tmp_path), str(tmp_path / "missing.txt"))
    captured = capsys.readouterr()
    assert "1 created, 0 updated, 0 unchanged, 4 failed" in captured.out
    assert "FAILED missing.txt" not in captured.err  # a missing path is named as given
    for line in ("empty.txt: file is empty", "binary.txt: file is binary", "huge.txt: file is 50,000 bytes, over"):
        assert line in captured.err
    assert "no such file or folder" in captured.err
    assert list(Article.objects.values_list("source_file", flat=True)) == ["002_1e562040c40c0d33.txt"]


def test_failure_inside_a_file_rolls_back_only_that_file(db, search_backend, tmp_path):
    curated = Curated.load()
    curated.articles["002_1e562040c40c0d33.txt"] = {"stance": "no-such-stance"}
    report = ingest_paths([SEEDS], curated=curated)
    assert report.summary() == "4 created, 0 updated, 0 unchanged, 1 failed"
    assert not Article.objects.filter(source_file="002_1e562040c40c0d33.txt").exists()
    assert "no-such-stance" in report.outcomes[2].message


def test_the_same_new_file_ingested_by_two_processes_at_once(transactional_db, search_backend):
    """Both look for the file's article, find none, and insert: the second insert waits for the first
    transaction and then breaks the unique file name. It must come back as 'unchanged', not an error."""
    import threading
    import time

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs writing transactions one at a time (IMMEDIATE): no such race there")
    data = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[0]).read_bytes()
    first_inserted, outcomes, errors = threading.Event(), {}, []

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = ingest_bytes("race.txt", data)
                first_inserted.set()
                time.sleep(1.5)  # hold the uncommitted row while the second one reaches its insert
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def second():
        try:
            first_inserted.wait(30)
            outcomes["second"] = ingest_bytes("race.txt", data)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert (outcomes["first"].status, outcomes["second"].status) == ("created", "unchanged")
    assert Article.objects.filter(source_file="race.txt").count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bom-bad-byte.txt", b"\xef\xbb\xbfHeadline of the piece\n\nThe article says \xff once and goes on.\n"),
        ("utf16-odd.txt", b"\xff\xfe" + "Headline of the piece\n\nThe article goes on.\n".encode("utf-16-le") + b"A"),
    ],
    ids=["utf-8-bom", "utf-16-bom"],
)
def test_a_text_with_a_bom_and_a_bad_byte_is_read_not_a_traceback(db, search_backend, name, data):
    """The BOM names the encoding; a stray byte that does not fit becomes U+FFFD (as in HTML), not a crash."""
    outcome = ingest_bytes(name, data)
    assert outcome.status == "created", outcome.message
    article = Article.objects.get(pk=outcome.article_id)
    assert article.title == "Headline of the piece"
    assert bytes(article.raw_bytes) == data
