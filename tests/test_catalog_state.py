"""Ingest's catalog step (stances, outlets, the entity table) runs only when something it reads changed: the
second of two one-file ingests with the same files does not apply the entity table again, an edited table is
applied, and a curator's delete makes the next ingest restore the row as before (articles/catalog_state.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from articles.ingest import Curated, ingest_paths
from articles.models import CatalogLoad, StanceCategory
from articles.names.catalog import entities_file, fingerprint
from articles.names.models import Entity
from tests.conftest import SEEDS

NAME = "Karim Massimov"
ONE_FILE = SEEDS / "002_1e562040c40c0d33.txt"


@pytest.fixture
def entities_copy(seeded, tmp_path, settings):
    path = tmp_path / "entities.json"
    shutil.copyfile(entities_file(), path)
    settings.ENTITIES_FILE = str(path)
    return path


def ingest_one(capture):
    with capture(execute=True):
        report = ingest_paths([ONE_FILE])
    assert report.summary() == "0 created, 0 updated, 1 unchanged, 0 failed"


def test_an_unchanged_table_is_not_applied_again_and_an_edited_one_is(
    entities_copy, django_capture_on_commit_callbacks
):
    ingest_one(django_capture_on_commit_callbacks)  # a new file path: applied, fingerprint stored
    stored = CatalogLoad.objects.get().fingerprint
    # A change no signal sees (a queryset update) is invisible to the shortcut, so it shows whether the
    # table was applied again: applying it would restore the entry's fingerprint and description.
    Entity.objects.filter(name=NAME).update(file_fingerprint="stale", description="changed behind its back")

    ingest_one(django_capture_on_commit_callbacks)
    assert Entity.objects.filter(name=NAME, file_fingerprint="stale").exists()  # not applied again
    assert CatalogLoad.objects.get().fingerprint == stored

    data = json.loads(entities_copy.read_text(encoding="utf-8"))
    entry = next(e for e in data["entities"] if e["name"] == NAME)
    entry["description"] = "Edited in the file."
    entities_copy.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    ingest_one(django_capture_on_commit_callbacks)
    entity = Entity.objects.get(name=NAME)
    assert (entity.description, entity.file_fingerprint) == ("Edited in the file.", fingerprint(entry))
    assert CatalogLoad.objects.get().fingerprint != stored


def test_a_curators_delete_is_restored_by_the_next_ingest_as_before(entities_copy, django_capture_on_commit_callbacks):
    ingest_one(django_capture_on_commit_callbacks)
    slug = Curated.load().stances[0]["slug"]
    StanceCategory.objects.get(slug=slug).delete()  # as the admin does: signals run
    assert not CatalogLoad.objects.exists()
    Entity.objects.get(name=NAME).delete()

    ingest_one(django_capture_on_commit_callbacks)
    assert StanceCategory.objects.filter(slug=slug).exists()
    assert Entity.objects.filter(name=NAME).exists()
    assert CatalogLoad.objects.exists()
