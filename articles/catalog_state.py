"""Whether ingest's catalog step must run: a fingerprint of its inputs, kept in the database (CatalogLoad).

The step (Curated.ensure_catalog) creates the curated stances and outlets that are missing and applies the
entity file; it is idempotent, so skipping it is right exactly when its inputs and the rows it looks at are
as they were after it last ran. The inputs are fingerprinted (the curated stances and outlets, the entity
file's path and bytes); the rows are guarded by signals: a save or delete of a stance, outlet, entity or
variant made anywhere else removes the stored fingerprint, so the next ingest runs the step in full.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.db.models import signals

KEY = "catalog"


def fingerprint(stances: list[dict], sources: list[dict], entities_path: Path) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([stances, sources], sort_keys=True, ensure_ascii=False).encode())
    h.update(b"\0" + str(entities_path.resolve()).encode() + b"\0")
    h.update(entities_path.read_bytes() if entities_path.exists() else b"(no entity file)")
    return h.hexdigest()


def is_current(fp: str) -> bool:
    from articles.models import CatalogLoad

    return CatalogLoad.objects.filter(key=KEY, fingerprint=fp).exists()


def run_step(fp: str, step) -> None:
    """Run the catalog step, then record its fingerprint (call inside the step's transaction). The step's own
    writes remove the old row through the signals; the new one is written after them."""
    from articles.models import CatalogLoad

    step()
    CatalogLoad.objects.update_or_create(key=KEY, defaults={"fingerprint": fp})


def forget(**kwargs) -> None:
    from articles.models import CatalogLoad

    CatalogLoad.objects.filter(key=KEY).delete()


def connect() -> None:
    from articles.models import Source, StanceCategory
    from articles.names.models import Entity, EntityVariant

    for model in (StanceCategory, Source, Entity, EntityVariant):
        for signal in (signals.post_save, signals.post_delete):
            signal.connect(forget, sender=model, dispatch_uid=f"catalog-state-{signal}-{model.__name__}", weak=False)
