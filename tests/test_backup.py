"""backup_archive / restore_archive: a round trip into a fresh database loses nothing, and damage is refused.

The round trip restores into a separate archive (own database and index, through subprocesses, as on a
fresh machine) and compares `export_articles --format jsonl` byte for byte (ids and timestamps included)
and the results of a few searches.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from haystack.query import SearchQuerySet

from articles.backup import DATA, MANIFEST, BackupError, restore_backup, write_backup
from articles.export import export_string
from articles.models import Article, Credit, Entity, EntityVariant, Person, Source, StanceCategory, Tag

QUERIES = ["protest", "Kazakhstan", "author:Kurmanov", "Tokayev OR Nazarbayev", "russia*"]

# Run in the restored archive: its export, the searches, its index check, and a new article's id.
AFTER_RESTORE = """
import json, sys
from haystack.query import SearchQuerySet
from articles.export import export_string
from articles.indexing.check import check_index
from articles.models import Article, Tag
out = {"export": export_string("jsonl"), "search": {}}
for q in json.loads(sys.argv[1]):
    out["search"][q] = [int(r.pk) for r in SearchQuerySet().auto_query(q)[:1000]]
out["check"] = check_index().lines()
from articles.names.models import ArticleMention, Entity
out["names"] = sorted([e.name, e.origin, sorted(e.names())] for e in Entity.objects.all())
out["mentions"] = sorted(ArticleMention.objects.values_list("article_id", "entity__name", "count"))
a = Article.objects.create(title="After", body="b", source_file="after.txt", raw_bytes=b"", sha256="0")
a.tags.add(Tag.objects.create(name="brand new tag"))
out["new_pk"] = a.pk
print(json.dumps(out))
"""


def search_results() -> dict:
    """Each query's hits in rank order."""
    return {q: [int(r.pk) for r in SearchQuerySet().auto_query(q)[:1000]] for q in QUERIES}


@pytest.fixture
def backed_up(seeded_committed, tmp_path):
    """The seeds, committed, plus a curator edit; backed up to a file."""
    article = Article.objects.get(source_file="003_1d74b9649cbe830b.txt")
    article.title = "Curator's title — «кавычки»"
    article.field_sources = {**article.field_sources, "title": "curator"}
    article.save()
    # A curator's entity, and a variant that changes what an article mentions (seed 002's "KGB").
    from articles.names.models import Entity, EntityVariant

    knb = Entity.objects.get(name="National Security Committee of Kazakhstan")
    EntityVariant.objects.create(entity=knb, text="KGB")
    Entity.objects.filter(pk=knb.pk).update(origin="curator")
    path = tmp_path / "archive-backup.zip"
    call_command("backup_archive", str(path), stdout=io.StringIO())
    return path


def test_round_trip_into_a_fresh_database(backed_up, fresh_archive):  # noqa: F811
    expected_export = export_string("jsonl")
    expected_search = search_results()
    assert all(expected_search[q] for q in ("Kazakhstan", "author:Kurmanov")), expected_search

    out = fresh_archive.manage("restore_archive", str(backed_up)).stdout
    assert "every SHA-256 verified" in out
    after = json.loads(fresh_archive.python(AFTER_RESTORE, json.dumps(QUERIES)))
    assert after["export"] == expected_export
    assert after["search"] == expected_search
    from articles.names.models import ArticleMention, Entity

    assert after["names"] == [
        list(x) for x in sorted([e.name, e.origin, sorted(e.names())] for e in Entity.objects.all())
    ]
    assert after["mentions"] == [
        list(m) for m in sorted(ArticleMention.objects.values_list("article_id", "entity__name", "count"))
    ]
    assert ["National Security Committee of Kazakhstan", "curator"] in [n[:2] for n in after["names"]]
    assert "missing: 0, stale: 0, orphaned: 0" in after["check"]
    # New rows after a restore get new ids (PostgreSQL sequences were moved past the restored ones).
    assert after["new_pk"] > max(json.loads(line)["id"] for line in expected_export.splitlines())

    # Restoring again over a non-empty archive is refused, and --replace restores the backup's state.
    refused = fresh_archive.manage("restore_archive", str(backed_up), check=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr
    fresh_archive.manage("restore_archive", "--replace", str(backed_up))
    exported = fresh_archive.manage("export_articles", "--format", "jsonl").stdout
    assert exported.split("\n", 1)[1] == expected_export  # after the export's header line


def test_manifest_lists_counts_and_checksums(backed_up):
    with zipfile.ZipFile(backed_up) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        data = zf.read(DATA)
    assert manifest["format"] == "kzarchive-backup" and manifest["version"] == 1
    assert manifest["counts"] == {
        "articles.stancecategory": StanceCategory.objects.count(),
        "articles.source": Source.objects.count(),
        "articles.person": Person.objects.count(),
        "articles.tag": Tag.objects.count(),
        "articles.entity": Entity.objects.count(),
        "articles.entityvariant": EntityVariant.objects.count(),
        "articles.article": 5,
        "articles.credit": Credit.objects.count(),
    }
    assert manifest["originals_sha256"] == {str(a.pk): a.sha256 for a in Article.objects.all()}
    assert manifest["data_sha256"] == hashlib.sha256(data).hexdigest()


def rewrite(path, out, edit):
    """Copy a backup, changing data.jsonl lines with `edit(record) -> record` and keeping the manifest."""
    with zipfile.ZipFile(path) as zf:
        manifest, lines = zf.read(MANIFEST), zf.read(DATA).decode().splitlines(keepends=True)
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(MANIFEST, manifest)
        zf.writestr(DATA, "".join(json.dumps(edit(json.loads(line))) + "\n" for line in lines))
    return out


def test_damaged_backups_are_refused_and_change_nothing(backed_up, tmp_path):
    def flip_a_byte(record):
        if record["model"] == "articles.article" and record["fields"]["source_file"].startswith("000_"):
            import base64

            raw = bytearray(base64.b64decode(record["fields"]["raw_bytes"]))
            raw[0] ^= 1
            record["fields"]["raw_bytes"] = base64.b64encode(bytes(raw)).decode()
        return record

    before = export_string("jsonl")
    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(rewrite(backed_up, tmp_path / "bad.zip", flip_a_byte), replace=True)
    assert export_string("jsonl") == before

    with pytest.raises(BackupError, match="SHA-256"):  # any edit breaks the data file's own checksum
        restore_backup(rewrite(backed_up, tmp_path / "edited.zip", lambda r: r), replace=True)
    assert export_string("jsonl") == before

    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(CommandError, match="restore refused"):
        call_command("restore_archive", str(tmp_path / "junk.zip"))


def test_replace_in_place_restores_the_backed_up_state(backed_up):
    expected = export_string("jsonl")
    Article.objects.filter(source_file__startswith="001_").delete()
    Article.objects.filter(source_file__startswith="000_").update(title="Zyzzyva retitled after the backup")
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(backed_up)
    restore_backup(backed_up, replace=True)
    assert export_string("jsonl") == expected
    assert sorted(int(r.pk) for r in SearchQuerySet().auto_query("zyzzyva")) == []


def test_backup_of_an_empty_archive_round_trips(empty_archive, search_backend, tmp_path):
    manifest = write_backup(tmp_path / "empty.zip")
    assert set(manifest["counts"].values()) == {0}
    restore_backup(tmp_path / "empty.zip")
    assert not Article.objects.exists()


def test_backup_made_before_the_entity_table_still_restores(backed_up, tmp_path):
    """A backup without entity rows (made before they were archived) restores; mentions are recomputed."""
    from articles.names.models import ArticleMention

    with zipfile.ZipFile(backed_up) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        lines = [line for line in zf.read(DATA).decode().splitlines(keepends=True) if '"articles.entity' not in line]
    data = "".join(lines).encode()
    for key in ("articles.entity", "articles.entityvariant"):
        del manifest["counts"][key]
    manifest["data_sha256"] = hashlib.sha256(data).hexdigest()
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(old, "w") as zf:
        zf.writestr(MANIFEST, json.dumps(manifest))
        zf.writestr(DATA, data)
    restore_backup(old, replace=True, rebuild_index=False)
    assert Entity.objects.count() == 0 and ArticleMention.objects.count() == 0
    assert Article.objects.count() == 5
