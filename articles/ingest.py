"""Ingest files into the archive: read, check, decode, extract, merge curated metadata, upsert.

Each file is its own transaction, keyed on its file name (the provenance). The original bytes and
their SHA-256 are stored verbatim. A file whose bytes, extractor and curated entry are all unchanged
is skipped; otherwise every field is refreshed except those a curator has edited in the admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from articles import engine
from articles.extraction.decoding import DecodeError, decode_document
from articles.extraction.text import extract_text
from articles.extraction.types import Credit as CreditData
from articles.extraction.types import Extracted, PartialDate
from articles.extraction.zones import zone_offset_minutes
from articles.indexing import outbox as index_queue
from articles.model_parts import FROM_CURATOR, FROM_METADATA_FILE, FROM_TEXT
from articles.models import Article, Credit, Person, Source, StanceCategory, Tag, is_reserved_name

# Bump when extraction changes, so the next ingest refreshes what it reads off unchanged files.
EXTRACTOR_VERSION = "text-2/html-2"
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
logger = logging.getLogger(__name__)
INDEX_BATCH = 100  # files stored before their index updates are written, in one index commit
MERGE_AFTER_BATCHES = 4  # an ingest that wrote this many batches merges the index's segments at its end


class IngestError(Exception):
    """A file that cannot be ingested; the message is shown to the user as is."""


@dataclass
class Outcome:
    name: str
    status: str
    message: str = ""
    article_id: int | None = None
    index_error: str = ""  # stored, but its index write failed: queued for indexing (articles/indexing/outbox.py)

    def line(self) -> str:
        """What ingest prints for this file: one line, whatever happened."""
        if self.status == FAILED:
            return f"FAILED {self.name}: {self.message}"
        if self.index_error:
            return f"{self.status:9} {self.name}: queued for indexing ({self.index_error})"
        return f"{self.status:9} {self.name}"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    not_done: int = 0  # files not read because the run was stopped (Ctrl-C)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> int:
        return self.count(FAILED)

    @property
    def queued(self) -> int:
        return sum(1 for o in self.outcomes if o.index_error)

    def summary(self) -> str:
        text = ", ".join(f"{self.count(s)} {s}" for s in (CREATED, UPDATED, UNCHANGED, FAILED))
        return text + (f" ({self.queued} queued for indexing)" if self.queued else "")


# --- reading -------------------------------------------------------------------------------------


def max_bytes() -> int:
    return settings.INGEST_MAX_BYTES


def read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise IngestError("no such file")
    if not path.is_file():
        raise IngestError("not a regular file")
    size = path.stat().st_size
    if size > max_bytes():
        raise IngestError(f"file is {size:,} bytes, over the {max_bytes():,}-byte limit (INGEST_MAX_BYTES)")
    return path.read_bytes()


# --- curated metadata -------------------------------------------------------------------------------


@dataclass
class Curated:
    """fixtures/curated.json: stance scheme, outlets, and per-file facts the texts do not state."""

    stances: list[dict]
    sources: list[dict]
    articles: dict[str, dict]

    @classmethod
    def load(cls, path: Path | None = None) -> Curated:
        path = Path(path or settings.CURATED_METADATA_FILE)
        if not path.exists():
            return cls([], [], {})
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("stances", []), data.get("sources", []), data.get("articles", {}))

    def entry(self, name: str) -> dict:
        return self.articles.get(name, {})

    def ensure_catalog(self) -> None:
        """Create the stance categories and outlets it lists and apply the entity table; never overwrite what
        curators changed. Skipped when nothing it reads has changed since it last ran (articles/catalog_state.py):
        one-by-one ingest would otherwise read the entity file and query every entry on each call."""
        from articles import catalog_state
        from articles.names.catalog import entities_file

        fp = catalog_state.fingerprint(self.stances, self.sources, entities_file())
        if not catalog_state.is_current(fp):
            catalog_state.run_step(fp, self._apply_catalog)

    def _apply_catalog(self) -> None:
        for st in self.stances:
            StanceCategory.objects.get_or_create(
                slug=st["slug"],
                defaults={"name": st["name"], "description": st["description"], "position": st.get("position", 0)},
            )
        for src in self.sources:
            if find_source(src["name"]) is None:
                texts = {key: src.get(key, "") for key in ("homepage", "country", "language", "description", "notes")}
                Source.objects.create(name=src["name"], kind=src.get("kind", Source.Kind.OTHER), **texts)
        # The entity (alias) table from fixtures/entities.json, applied the same way.
        from articles.names.catalog import load_entities

        load_entities()

    def aliases(self) -> dict[str, str]:
        return {alias.casefold(): s["name"] for s in self.sources for alias in [s["name"], *s.get("aliases", [])]}


def find_source(name: str, aliases: dict[str, str] | None = None) -> Source | None:
    canonical = (aliases or {}).get(name.casefold(), name)
    return Source.objects.filter(name__iexact=canonical).first()


# --- extraction --------------------------------------------------------------------------------------


def extract(name: str, data: bytes) -> tuple[Extracted, str, str, str]:
    """Return (extracted, decoded original text, its encoding, extractor name) for a file's bytes."""
    lower = name.lower()
    if not lower.endswith(SUPPORTED_SUFFIXES):
        raise IngestError(f"unsupported file type (expected one of {', '.join(SUPPORTED_SUFFIXES)})")
    is_text = lower.endswith(TEXT_SUFFIXES)
    try:
        text, encoding = decode_document(data, html=not is_text, gzipped=lower.endswith(".gz"), limit=max_bytes())
    except DecodeError as exc:
        raise IngestError(str(exc)) from None
    if is_text:
        result, extractor = extract_text(text), "text"
    else:
        from articles.extraction.html import extract_html

        # A page's raw_encoding has always read "html"; recording its charset is a change of its own.
        result, extractor, encoding = extract_html(text, filename=name), "html", "html"
    if not result.paragraphs:
        raise IngestError("no article text found in the file")
    if not result.title:
        result.title = result.paragraphs[0][:120].rsplit(" ", 1)[0] + "…"
    return result, text, encoding, extractor


# --- storing -------------------------------------------------------------------------------------------


def fingerprint(sha256: str, entry: dict) -> str:
    blob = json.dumps([sha256, EXTRACTOR_VERSION, entry], sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def parse_partial_date(value: str | None) -> PartialDate:
    if not value:
        return PartialDate()
    parts = [int(p) for p in value.split("-")]
    return PartialDate(*parts)


def ingest_bytes(name: str, data: bytes, *, curated: Curated | None = None) -> Outcome:
    """Ingest one document's bytes under its file name; never raises for bad input (returns FAILED)."""
    if len(data) > max_bytes():
        return Outcome(
            name, FAILED, f"file is {len(data):,} bytes, over the {max_bytes():,}-byte limit (INGEST_MAX_BYTES)"
        )
    curated = curated or Curated.load()

    def attempt() -> Outcome:
        with transaction.atomic():
            return _ingest(name, data, curated)

    try:
        try:
            outcome = attempt()
        except IntegrityError:
            # Another process created this file's article (or its outlet, a person) after we looked and
            # before we inserted: everything here rolled back; look again, now seeing its rows.
            outcome = attempt()
    except IngestError as exc:
        return Outcome(name, FAILED, str(exc))
    if outcome.status != UNCHANGED and not index_queue.batching():  # a batch reports when it flushes
        outcome.index_error = index_error(outcome.article_id)
    return outcome


def index_error(article_id: int | None) -> str:
    """Why this article's index write failed after its commit, or "" (indexed, or not attempted yet)."""
    from articles.models import PendingIndexUpdate

    row = PendingIndexUpdate.objects.filter(article_id=article_id, attempts__gt=0).order_by("-pk").first()
    return row.last_error if row else ""


def ingest_path(path: Path, *, name: str | None = None, curated: Curated | None = None) -> Outcome:
    name = name or path.name
    try:
        data = read_bytes(path)
    except IngestError as exc:
        return Outcome(name, FAILED, str(exc))
    except OSError as exc:
        return Outcome(name, FAILED, f"cannot read: {exc.strerror or exc}")
    return ingest_bytes(name, data, curated=curated)


def iter_files(path: Path):
    """(file, name) pairs: a file as itself; a folder's supported files, recursively, named relative to it."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.name.lower().endswith(SUPPORTED_SUFFIXES) and not child.name.startswith("."):
                yield child, child.relative_to(path).as_posix()
    else:
        yield path, path.name


def list_inputs(paths) -> list[tuple[Path, str] | Outcome]:
    """Every file the paths name, in order, listed before any is read (so a run knows its total); a path
    that does not exist is its FAILED outcome."""
    inputs: list[tuple[Path, str] | Outcome] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            inputs.append(Outcome(str(raw), FAILED, "no such file or folder"))
        else:
            inputs.extend(iter_files(path))
    return inputs


def ingest_paths(
    paths, *, curated: Curated | None = None, on_outcome=None, on_total=None, stop=None, on_queued=None
) -> Report:
    """Ingest files and folders one file (one transaction) at a time. `on_total(n)` hears the number of
    files first; `stop()` is asked before each file, and a true answer ends the run there
    (`report.not_done` files left unread).

    The index is written once per INDEX_BATCH stored files, not once per file (each file's update is
    queued in its own transaction, articles/indexing/outbox.py). When a batch's index write fails, each of
    its files gets `index_error` and is passed to `on_queued`: stored, queued for indexing."""
    curated = curated or Curated.load()
    with transaction.atomic():
        curated.ensure_catalog()
    report = Report()
    inputs = list_inputs(paths)
    if on_total:
        on_total(len(inputs))
    held: list[Outcome] = []  # stored, their index write still to come

    batches = [0]

    def settle(batch) -> None:
        batches[0] += bool(held)
        failed = batch.flush().failed
        for outcome in held:
            outcome.index_error = failed.get(outcome.article_id, "")
            if outcome.index_error and on_queued:
                on_queued(outcome)
        held.clear()

    with index_queue.batched() as batch:
        for position, item in enumerate(inputs):
            if stop is not None and stop():
                report.not_done = len(inputs) - position
                break
            outcome = item if isinstance(item, Outcome) else ingest_path(item[0], name=item[1], curated=curated)
            report.outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
            if outcome.status in (CREATED, UPDATED):
                held.append(outcome)
                if len(held) >= INDEX_BATCH:
                    settle(batch)
        settle(batch)
    if batches[0] >= MERGE_AFTER_BATCHES:
        merge_index()
    return report


def merge_index() -> None:
    """The merges background merges leave out (articles/whoosh/merges.py, BACKGROUND_MERGE_MAX_DOCS), after a
    large ingest: its batches left a segment each, which every search would otherwise visit until the
    nightly merge_index."""
    backend = engine.get_backend()
    if engine.merges_segments(backend):
        try:
            backend.merge_segments()
        except OSError as exc:  # an unwritable index: its failures were reported per file already
            logger.warning("merging the index after ingest failed: %s", exc)


def _ingest(name: str, data: bytes, curated: Curated) -> Outcome:
    sha = hashlib.sha256(data).hexdigest()
    entry = curated.entry(name)
    fp = fingerprint(sha, entry)
    article = Article.objects.select_for_update().filter(source_file=name).first()
    if article is not None and article.ingest_fingerprint == fp:
        return Outcome(name, UNCHANGED, article_id=article.pk)

    extracted, text, encoding, extractor = extract(name, data)
    # A page calling its site or an author "(unknown)" names nobody: that value means "not known" in filters.
    if is_reserved_name(extracted.site_name):
        extracted.site_name = ""
    extracted.credits = [c for c in extracted.credits if not is_reserved_name(c.name)]
    created = article is None
    article = article or Article(source_file=name)
    article.raw_bytes = data
    article.raw_text = text
    article.raw_encoding = encoding
    article.sha256 = sha
    article.extractor = extractor
    article.ingest_fingerprint = fp
    sources = dict(article.field_sources or {})

    def put(field_name: str, value, origin: str, apply=None) -> None:
        """Set the field to value (or call apply), unless a curator set it."""
        if sources.get(field_name) == FROM_CURATOR:
            return
        if apply is None:
            setattr(article, field_name, value)
        else:
            apply()
        sources[field_name] = origin

    put("title", extracted.title, FROM_TEXT)

    def set_body():
        article.body = extracted.body
        article.block_kinds = extracted.block_kinds

    put("body", extracted.body, FROM_TEXT, set_body)
    put("references", extracted.references, FROM_TEXT)
    if extracted.description:
        put("description", extracted.description, FROM_TEXT)

    # Outlet: what the text names, else the curated file (null there means "unnamed", on purpose).
    aliases = curated.aliases()
    if extracted.site_name:
        outlet, origin = (
            find_source(extracted.site_name, aliases)
            or Source.objects.create(name=extracted.site_name, kind=Source.Kind.OTHER),
            FROM_TEXT,
        )
    elif "outlet" in entry:
        outlet = find_source(entry["outlet"], aliases) if entry["outlet"] else None
        origin = FROM_METADATA_FILE
    else:
        outlet, origin = None, FROM_TEXT
    put("source", outlet, origin)

    # Date: the text's own, else what a careful reader established (kept in the curated file).
    if extracted.published.precision != "unknown":
        date, time, note, origin = extracted.published, extracted.published_time, "", FROM_TEXT
    else:
        date, time = parse_partial_date(entry.get("published")), None
        note, origin = entry.get("date_note", ""), FROM_METADATA_FILE if entry.get("published") else FROM_TEXT
    time = time if date.precision == "day" else None  # a time of day belongs to a known day
    zone = extracted.published_zone if time else ""
    offset = None  # minutes east of UTC: the offset the page states, else its named zone's at that date
    if time is not None and extracted.published_offset is not None:
        offset = int(extracted.published_offset.total_seconds() // 60)
    elif time is not None and zone:
        offset = zone_offset_minutes(zone, dt.datetime.combine(date.as_date(), time))

    def set_date():
        article.published_date = date.as_date()
        article.date_precision = date.precision
        article.published_time = time
        article.published_utc_offset = offset
        article.published_time_zone = zone[:60]
        article.date_note = note

    put("published", date, origin, set_date)

    language = extracted.language or entry.get("language", "")
    put("language", language, FROM_TEXT if extracted.language else FROM_METADATA_FILE)
    url = extracted.url or entry.get("url", "")
    put("url", url, FROM_TEXT if extracted.url else FROM_METADATA_FILE)
    if "stance" in entry:
        stance = StanceCategory.objects.filter(slug=entry["stance"]).first()
        if stance is None:
            raise IngestError(f"curated stance {entry['stance']!r} is not in the stance scheme")
        put("stance", stance, FROM_METADATA_FILE)
        put("stance_rationale", entry.get("stance_rationale", ""), FROM_METADATA_FILE)

    article.field_sources = sources
    article.save()

    if sources.get("credits") != FROM_CURATOR:
        credits = extracted.credits or entry_credits(entry)
        article.credits.all().delete()
        for position, credit in enumerate(credits):
            person, _ = Person.objects.get_or_create(name=credit.name)
            Credit.objects.get_or_create(
                article=article, person=person, role=credit.role, defaults={"position": position}
            )
        sources["credits"] = FROM_TEXT if extracted.credits else (FROM_METADATA_FILE if credits else FROM_TEXT)
    if sources.get("tags") != FROM_CURATOR:
        article.tags.set([Tag.objects.get_or_create(name=t[:120])[0] for t in extracted.tags])
        sources["tags"] = FROM_TEXT
    Article.objects.filter(pk=article.pk).update(field_sources=sources)
    return Outcome(name, CREATED if created else UPDATED, article_id=article.pk)


def entry_credits(entry: dict) -> list[CreditData]:
    return [CreditData(c["name"], c.get("role", "author")) for c in entry.get("credits", [])]
