"""The tests haystack's own backend passes and kzarchive's engine fails on purpose, each with its reason
(README, "Search engines and haystack"). Marked here so the vendored files stay as haystack wrote them;
strict, so a test that starts passing is noticed."""

import pytest

UNSTORED_TEXT = (
    "the document field is not stored (the text is in the database, one copy not two): "
    "result.text is None; highlight=True prepares the text again instead"
)
DELIBERATE = {
    "test_forms.py::LiveWhooshRoundTripTestCase::test_round_trip": UNSTORED_TEXT,
    "test_forms.py::SpellingSuggestionTestCase::test_round_trip": UNSTORED_TEXT,
    "test_whoosh_backend.py::LiveWhooshRoundTripTestCase::test_round_trip": UNSTORED_TEXT,
    "test_whoosh_backend.py::LiveWhooshRamStorageTestCase::test_ram_storage": UNSTORED_TEXT,
    "test_whoosh_backend.py::LiveWhooshAutocompleteTestCase::test_autocomplete": UNSTORED_TEXT,
    "test_whoosh_backend.py::WhooshSearchBackendTestCase::test_order_by": (
        "each sort key keeps its own direction (newest first, then title A-Z); "
        "haystack's backend refuses mixed directions with SearchBackendError"
    ),
    "test_whoosh_backend.py::WhooshSearchBackendTestCase::test_build_schema": (
        "a multi-valued text field is analysed like other text (author:akorda finds Akordá) rather than "
        "a KEYWORD of whole comma-separated values; its *_exact facet companion is the exact one"
    ),
}


def pytest_collection_modifyitems(items):
    for item in items:
        reason = DELIBERATE.get(item.nodeid.split("haystack_contract/", 1)[-1])
        if reason:
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
