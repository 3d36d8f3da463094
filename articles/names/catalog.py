"""fixtures/entities.json -> the entity table, the way ingest applies fixtures/curated.json.

Idempotent: an entry whose text is unchanged since it was last applied is not touched (no writes, so no
mention recomputation). An entry the file changed is applied again, variants included (added, updated,
removed to match the file), unless a curator has edited the entity in the admin: from then on the
curator's version stands and the file is not applied to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from articles.model_parts import FROM_CURATOR, FROM_METADATA_FILE
from articles.names.models import Entity, EntityVariant, name_conflict
from articles.names.variants import name_keys

log = logging.getLogger(__name__)
VARIANT_FIELDS = ("language", "kind", "note")


def entities_file() -> Path:
    """ENTITIES_FILE if set, else entities.json beside the curated metadata file."""
    return Path(
        getattr(settings, "ENTITIES_FILE", None) or Path(settings.CURATED_METADATA_FILE).with_name("entities.json")
    )


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    kept_curated: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # entries whose name is another entity's


def provenance_text(entry: dict) -> str:
    seen = entry.get("in_seeds", {})
    lines = ["From fixtures/entities.json (a reading of the seed articles)."]
    if seen:
        lines += [f"{name}: {', '.join(forms)}" for name, forms in sorted(seen.items())]
    else:
        lines.append("Not named in the text of any seed article.")
    return "\n".join(lines)


def fingerprint(entry: dict) -> str:
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def load_entities(path: Path | None = None) -> LoadReport:
    """Apply the entities file (missing file: nothing to do). Call inside a transaction."""
    path = Path(path or entities_file())
    report = LoadReport()
    if not path.exists():
        return report
    entries = json.loads(path.read_text(encoding="utf-8")).get("entities", [])
    existing = {e.name: e for e in Entity.objects.all()}
    names = NameKeys()
    for entry in entries:
        fp = fingerprint(entry)
        entity = existing.get(entry["name"])
        if entity is not None and entity.origin == FROM_CURATOR:
            report.kept_curated.append(entity.name)
            continue
        if entity is not None and entity.file_fingerprint == fp:
            report.unchanged += 1
            continue
        if entity is None:
            conflict = names.conflict(entry["name"])
            if conflict:
                log.warning("entities file: %s not loaded: %s", entry["name"], conflict)
                report.refused.append(entry["name"])
                continue
            entity = Entity(name=entry["name"])
            report.created.append(entry["name"])
        else:
            report.updated.append(entry["name"])
        _apply(entity, entry, fp)
        names.changed(entity)
    return report


class NameKeys:
    """The name keys of every entity's names, read once for a whole load: `conflict` is `name_conflict` for
    a new entity without reading the table again for each entry (which made a first load quadratic: 80
    entries read the table 80 times). Only a name whose keys some entity has goes to `name_conflict` itself,
    for its exact message."""

    def __init__(self):
        self.by_entity: dict[int, set[tuple[str, ...]]] = {}
        for entity in Entity.objects.prefetch_related("variants"):
            self.changed(entity)

    def changed(self, entity: Entity) -> None:
        self.by_entity[entity.pk] = {name_keys(name) for name in entity.names()}

    def conflict(self, text: str) -> str:
        keys = name_keys(text)
        if not any(keys in known for known in self.by_entity.values()):
            return ""
        return name_conflict(text, exclude_entity_id=None)


def _apply(entity: Entity, entry: dict, fp: str) -> None:
    entity.kind = entry.get("kind", Entity.Kind.OTHER)
    entity.description = entry.get("description", "")
    entity.notes = entry.get("notes", "")
    entity.provenance = provenance_text(entry)
    entity.origin = FROM_METADATA_FILE
    entity.file_fingerprint = fp
    entity.save()
    wanted = {v["text"]: v for v in entry.get("variants", [])}
    for variant in entity.variants.all():
        spec = wanted.pop(variant.text, None)
        if spec is None:
            variant.delete()
            continue
        values = _variant_values(spec)
        if any(getattr(variant, f) != values[f] for f in VARIANT_FIELDS):
            for f, value in values.items():
                setattr(variant, f, value)
            variant.save()
    for text, spec in wanted.items():
        EntityVariant.objects.create(entity=entity, text=text, **_variant_values(spec))


def _variant_values(spec: dict) -> dict:
    """A variant's fields as the file gives them; a kind left out is a spelling."""
    return {f: spec.get(f, "") or (EntityVariant.Kind.SPELLING if f == "kind" else "") for f in VARIANT_FIELDS}
