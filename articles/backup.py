"""Back up the whole archive to one file, and restore it (ids, timestamps and original bytes intact).

The backup is a zip holding two members:
- `manifest.json`: format and version, when and from what it was made, row counts per model, the SHA-256
  of every article's original bytes (by article id) and the SHA-256 of `data.jsonl`;
- `data.jsonl`: every row of the archive's models in Django's JSON Lines serialization, parents first:
  stance categories, outlets, people, tags, the entity (alias) table and its variants, articles (all
  fields: original bytes base64-encoded, field provenance, ingest and update timestamps, tag links),
  credits. Primary keys are kept, so article URLs survive a restore. Mentions are not backed up: they
  are computed from the articles and the entity table, and recomputed by the restore.

Restoring checks the manifest, the data file's checksum, the row counts and every original's SHA-256
(against both the manifest and the article's own `sha256`), all inside one transaction: a damaged backup
restores nothing. Afterwards the search index is rebuilt from the restored rows and checked.

Curator logins (django.contrib.auth users) are not part of the archive and are not backed up: recreate
them with `manage.py createsuperuser`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as dt_time
from pathlib import Path

from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from articles.models import Article, Credit, Entity, EntityVariant, Person, Source, StanceCategory, Tag

FORMAT = "kzarchive-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.jsonl"
# Parents before children, so every foreign key points at a row already restored.
MODELS = [StanceCategory, Source, Person, Tag, Entity, EntityVariant, Article, Credit]
CHUNK = 200


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; a backup keeps every microsecond."""

    def default(self, o):
        if isinstance(o, datetime):
            r = o.isoformat()
            return r[:-6] + "Z" if r.endswith("+00:00") else r
        if isinstance(o, dt_time):
            return o.isoformat()
        return super().default(o)


class BackupError(Exception):
    """A backup that cannot be written or restored; the message says why."""


def label(model) -> str:
    return model._meta.label_lower


def _querysets():
    for model in MODELS:
        qs = model._default_manager.order_by("pk")
        if model is Article:
            qs = qs.prefetch_related("tags")
        yield model, qs


def write_backup(path: Path | str, progress=None) -> dict:
    """Write the archive to `path` (a zip); return the manifest. `progress` hears the number of rows,
    then each row written. Nothing is left at `path` unless the whole backup was written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    counts: Counter = Counter()
    originals: dict[str, str] = {}
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf, _snapshot():
            with zf.open(DATA, "w", force_zip64=True) as raw:
                if progress is not None:
                    progress.set_total(sum(model._default_manager.count() for model in MODELS))
                for model, qs in _querysets():
                    for obj in qs.iterator(chunk_size=CHUNK):  # Article's tags prefetched per chunk
                        line = serializers.serialize("jsonl", [obj], cls=ExactJSONEncoder).encode("utf-8")
                        raw.write(line)
                        digest.update(line)
                        counts[label(model)] += 1
                        if progress is not None:
                            progress.advance()
                        if model is Article:
                            originals[str(obj.pk)] = hashlib.sha256(bytes(obj.raw_bytes)).hexdigest()
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": datetime.now(UTC).isoformat(),
                "database_vendor": connections[DEFAULT_DB_ALIAS].vendor,
                "counts": {label(m): counts[label(m)] for m in MODELS},
                "data_sha256": digest.hexdigest(),
                "originals_sha256": originals,
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return manifest


@contextmanager
def _snapshot():
    """Read every table from one consistent state, so no credit points at a person read before it existed.

    PostgreSQL: a REPEATABLE READ transaction (a snapshot; writers are not blocked). SQLite: kzarchive's
    transactions are IMMEDIATE, so ingests and edits wait (up to the 30 s busy timeout) while it runs.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def read_manifest(zf: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise BackupError(f"not a kzarchive backup: no {MANIFEST}")
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} is not valid JSON ({exc})")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"not a kzarchive backup (format {manifest.get('format')!r})")
    if manifest.get("version") != VERSION:
        raise BackupError(f"backup format version {manifest.get('version')!r}; this kzarchive reads {VERSION}")
    return manifest


def archive_is_empty() -> bool:
    return not any(model._default_manager.exists() for model in MODELS)


def _wipe() -> None:
    for model in reversed(MODELS):
        model._default_manager.all().delete()


def restore_backup(
    path: Path | str, *, replace: bool = False, rebuild_index: bool = True, progress=None, index_stderr=None
) -> dict:
    """Restore a backup into this archive; return the manifest. Refuses a non-empty archive unless replace.

    `progress` hears the number of rows in the backup, then each row restored; `index_stderr`, if given,
    shows the index rebuild's own progress."""
    from django.apps import apps

    from articles.indexing.check import check_index

    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"cannot open {path}: {exc}")
    with zf:
        manifest = read_manifest(zf)
        # Rows are written as they come, without the per-save index updates: the index is rebuilt after.
        signal_processor = apps.get_app_config("haystack").signal_processor
        signal_processor.teardown()
        try:
            with transaction.atomic():
                if not archive_is_empty():
                    if not replace:
                        raise BackupError("the archive is not empty: restore into an empty database, or use --replace")
                    _wipe()
                _load(zf, manifest, progress)
                if progress is not None:
                    progress.close()  # every row is in; the mentions and the index follow
                _reset_sequences()
                from articles.names.mentions import refresh_all

                refresh_all()
        finally:
            signal_processor.setup()
    if rebuild_index:
        rebuild_search_index(index_stderr)
        report = check_index()
        if not report.clean:
            raise BackupError("index rebuilt but does not match the database:\n" + "\n".join(report.lines()))
    return manifest


def _load(zf: zipfile.ZipFile, manifest: dict, progress=None) -> None:
    expected_originals = manifest.get("originals_sha256", {})
    counts: Counter = Counter()
    digest = hashlib.sha256()
    seen_articles = set()
    try:
        raw = zf.open(DATA)
    except KeyError:
        raise BackupError(f"not a kzarchive backup: no {DATA}")
    if progress is not None:
        progress.set_total(sum((manifest.get("counts") or {}).values()))
    with raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        for lineno, line in enumerate(text, 1):
            digest.update(line.encode("utf-8"))
            if not line.strip():
                continue
            try:
                (obj,) = serializers.deserialize("jsonl", line, ignorenonexistent=False)
            except Exception as exc:
                raise BackupError(f"{DATA} line {lineno} cannot be read: {exc}")
            instance = obj.object
            model = type(instance)
            if model not in MODELS:
                raise BackupError(f"{DATA} line {lineno}: {label(model)} is not part of an archive backup")
            if model is Article:
                _verify_original(instance, expected_originals)
                seen_articles.add(str(instance.pk))
            obj.save()
            counts[label(model)] += 1
            if progress is not None:
                progress.advance()
    if digest.hexdigest() != manifest.get("data_sha256"):
        raise BackupError(f"{DATA} does not match its SHA-256 in the manifest: the backup is damaged")
    counts = {label(m): counts[label(m)] for m in MODELS}
    # Backups made before a model was part of the archive (the entity table) list no count for it.
    expected = {label(m): (manifest.get("counts") or {}).get(label(m), 0) for m in MODELS}
    if counts != expected or not manifest.get("counts"):
        raise BackupError(f"row counts {counts} differ from the manifest's {manifest.get('counts')}")
    if seen_articles != set(expected_originals):
        raise BackupError("the manifest's list of originals does not match the articles in the backup")


def _verify_original(article: Article, expected: dict) -> None:
    actual = hashlib.sha256(article.raw_bytes).hexdigest()  # a memoryview: BinaryField.to_python decoded the base64
    if actual != expected.get(str(article.pk)):
        raise BackupError(f"article {article.pk} ({article.source_file}): original's SHA-256 differs from the manifest")
    if actual != article.sha256:
        raise BackupError(
            f"article {article.pk} ({article.source_file}): original's SHA-256 differs from its recorded sha256"
        )


def _reset_sequences() -> None:
    """After inserting explicit primary keys, new rows must not reuse them (PostgreSQL sequences)."""
    connection = connections[DEFAULT_DB_ALIAS]
    statements = connection.ops.sequence_reset_sql(no_style(), MODELS + [Article.tags.through])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def rebuild_search_index(stderr=None) -> None:
    """Index every article again: the rebuild_index command (one bulk writer, replacing the old index),
    showing its progress on `stderr` if given."""
    from django.core.management import call_command

    shown = {"verbosity": 0} if stderr is None else {"stdout": io.StringIO(), "stderr": stderr}
    call_command("rebuild_index", interactive=False, **shown)
