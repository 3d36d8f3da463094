"""The PostgreSQL run's selection (tests/conftest.py): the listed modules exist, and the rule marks what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATABASE_INDEPENDENT

TESTS = Path(__file__).resolve().parent


def test_every_module_listed_as_database_independent_exists():
    assert {name for name in DATABASE_INDEPENDENT if not (TESTS / f"{name}.py").is_file()} == set()


def test_this_module_touches_no_database(request):
    assert request.node.get_closest_marker("database") is None


@pytest.mark.django_db
def test_a_test_that_uses_the_database_is_marked(request):
    assert request.node.get_closest_marker("database") is not None


def test_a_fixture_built_on_the_database_marks_it_too(request, seeded):
    assert request.node.get_closest_marker("database") is not None
