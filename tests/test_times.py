"""Times keep the zone their source states, on the page, in the API and in the export; none is invented."""

from __future__ import annotations

import json

import pytest

from articles.export import export_string
from articles.ingest import ingest_bytes
from articles.models import Article
from tests.test_views import page, seed

PROSE = (
    "<p>" + "Protesters gathered in the main square of Almaty for a third day, and the police watched. " * 4 + "</p>"
)


def html_page(published: str) -> bytes:
    return (
        "<html><head><title>Curfew extended in Almaty - Example News</title>"
        f'<meta property="article:published_time" content="{published}">'
        f"</head><body><article><h1>Curfew extended in Almaty</h1>{PROSE}{PROSE}</article></body></html>"
    ).encode()


def ingest(name: str, data: bytes, captured) -> Article:
    with captured(execute=True):
        outcome = ingest_bytes(name, data)
    assert outcome.status == "created", outcome.message
    return Article.objects.get(pk=outcome.article_id)


def test_moscow_time_is_kept_and_shown_with_its_offset(client, seeded):
    a = seed(seeded, "000")
    assert (a.published_time_zone, a.published_utc_offset) == ("Moscow time", 180)  # MSK on 6 January 2022
    html = page(client, f"/articles/{a.pk}/").html
    assert '<time datetime="2022-01-06T13:15+03:00">6 January 2022, 13:15 Moscow time (UTC+03:00)</time>' in html
    record = client.get(f"/api/articles/{a.pk}").json()
    assert (record["published"], record["published_at"], record["published_time_zone"]) == (
        "2022-01-06",
        "2022-01-06T13:15+03:00",
        "Moscow time",
    )
    hit = client.get("/api/search", {"q": "triumvirate"}).json()["results"][0]
    assert hit["published_at"] == "2022-01-06T13:15+03:00"
    exported = {r["id"]: r for r in map(json.loads, export_string("jsonl").splitlines())}
    assert exported[a.pk]["published_at"] == "2022-01-06T13:15+03:00"


def test_an_uploaded_page_stamped_plus_six_shows_its_own_time(
    client, db, search_backend, django_capture_on_commit_callbacks
):
    a = ingest("curfew.html", html_page("2022-01-06T14:32:00+06:00"), django_capture_on_commit_callbacks)
    assert (a.published_time.isoformat(), a.published_utc_offset, a.published_time_zone) == ("14:32:00", 360, "")
    html = page(client, f"/articles/{a.pk}/").html
    # as the page states it: not converted to the server's UTC (08:32)
    assert '<time datetime="2022-01-06T14:32+06:00">6 January 2022, 14:32 UTC+06:00</time>' in html
    assert "08:32" not in html
    assert client.get(f"/api/articles/{a.pk}").json()["published_at"] == "2022-01-06T14:32+06:00"


@pytest.mark.parametrize(
    ("stamp", "shown", "iso"),
    [
        ("2022-01-06T23:05:09Z", "23:05 UTC", "2022-01-06T23:05:09+00:00"),
        ("2022-01-06T23:05:00.250-05:00", "23:05 UTC-05:00", "2022-01-06T23:05-05:00"),  # the date as written
        ("2022-01-06T23:05:00", "23:05 (time zone not stated)", "2022-01-06T23:05"),  # no zone: none invented
        ("2022-01-06", "", None),  # a day, no time
    ],
)
def test_offsets_as_pages_state_them(client, db, search_backend, django_capture_on_commit_callbacks, stamp, shown, iso):
    a = ingest("stamp.html", html_page(stamp), django_capture_on_commit_callbacks)
    assert a.published_iso == "2022-01-06"
    assert a.published_at == iso
    assert a.published_time_display == shown
    if shown:
        assert f"6 January 2022, {shown}</time>" in page(client, f"/articles/{a.pk}/").html


def test_a_named_zone_without_a_known_place_keeps_its_name_and_no_offset(
    db, search_backend, django_capture_on_commit_callbacks
):
    text = (
        "Curfew extended in Almaty\n\n06.01.2022 14:32\n(Kazakhstan time)\n\n"
        + "Protesters gathered in the main square for a third day, and the police watched them. " * 4
    ).encode()
    a = ingest("zone.txt", text, django_capture_on_commit_callbacks)
    # Kazakhstan spanned two zones in 2022: the name is kept, no offset is made up for it
    assert (a.published_time_zone, a.published_utc_offset) == ("Kazakhstan time", None)
    assert a.published_at == "2022-01-06T14:32"
    assert a.published_time_display == "14:32 Kazakhstan time"
