"""The curators' admin: login, edits recorded as curated, the index updated at once, bulk stance."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from articles.models import FROM_CURATOR, Article, StanceCategory
from articles.search import SearchParams, search_articles
from tests.conftest import SEEDS


@pytest.fixture
def curator(transactional_db):
    user = User.objects.create_superuser("curator", "c@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    return client


def change_form_data(client, article):
    """The admin change form's current values, as a browser would post them back."""
    response = client.get(f"/admin/articles/article/{article.pk}/change/")
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update({f"{fs.prefix}-{k}": v for k, v in fs.management_form.initial.items()})
        for i, f in enumerate(fs.forms):
            for name in f.fields:
                value = f[name].value()
                if value is not None:
                    data[f"{fs.prefix}-{i}-{name}"] = value
    return data


def test_admin_requires_login(db):
    response = Client().get("/admin/articles/article/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_edit_is_searchable_at_once_and_survives_reingest(seeded_committed, curator):
    article = seeded_committed["004_0023f067e5c2ca8b.txt"]
    assert search_articles(SearchParams(q="zanzibarquux")).count == 0
    data = change_form_data(curator, article)
    data["title"] = "The zanzibarquux of Kazakhstan"
    response = curator.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]

    found = search_articles(SearchParams(q="zanzibarquux"))
    assert [h.article.pk for h in found.hits] == [article.pk]

    article.refresh_from_db()
    assert article.field_sources["title"] == FROM_CURATOR
    call_command("ingest", str(SEEDS), "--quiet")
    article.refresh_from_db()
    assert article.title == "The zanzibarquux of Kazakhstan"


def test_bulk_set_stance(seeded_committed, curator):
    stance = StanceCategory.objects.get(slug="analytical")
    ids = [a.pk for a in seeded_committed.values()]
    response = curator.post(
        "/admin/articles/article/",
        {"action": f"set_stance_{stance.pk}", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Article.objects.values_list("stance__slug", flat=True)) == {"analytical"}
    assert all(a.field_sources["stance"] == FROM_CURATOR for a in Article.objects.all())
    facets = search_articles(SearchParams()).facets["stance"]
    assert [(f.value, f.count) for f in facets] == [("Analytical, no clear side", 5)]


def test_raw_original_is_shown_read_only(seeded_committed, curator):
    article = seeded_committed["000_9c5419554aa1a0fb.txt"]
    response = curator.get(f"/admin/articles/article/{article.pk}/change/")
    assert b"Views: 10692" in response.content  # from the raw original, chrome included
    assert "raw_text" not in response.context["adminform"].form.fields
    assert "sha256" not in response.context["adminform"].form.fields


def test_list_filters_and_search(seeded_committed, curator):
    response = curator.get("/admin/articles/article/?date_precision=month&year=2022")
    assert response.context["cl"].result_count == 3
    response = curator.get("/admin/articles/article/?q=Hriniova")
    assert response.context["cl"].result_count == 1


def test_upload_form_ingests_files_and_reports_each(seeded_committed, curator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import DATA

    page = SimpleUploadedFile(
        "story.html",
        b"<html><head><title>Almaty curfew extended - Example News</title>"
        b'<meta property="og:site_name" content="Example News"></head><body><article><h1>Almaty curfew extended</h1>'
        + b"<p>The curfew in Almaty was extended for another week, officials said on Monday.</p>" * 5
        + b"</article></body></html>",
    )
    text = SimpleUploadedFile("bbc.txt", (DATA / "text" / "bbc-business-001.txt").read_bytes())
    empty = SimpleUploadedFile("empty.txt", b"")
    response = curator.post("/admin/articles/article/upload/", {"files": [page, text, empty]}, follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["story.html: created.", "bbc.txt: created.", "empty.txt: failed. file is empty"]
    assert Article.objects.count() == 7
    assert search_articles(SearchParams(q="curfew")).count == 1


def test_upload_needs_add_permission(db):
    user = User.objects.create_user("reader", password="a-long-test-password", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get("/admin/articles/article/upload/").status_code == 403


def test_curator_can_correct_the_stated_zone_and_ingest_keeps_it(seeded_committed, curator):
    article = seeded_committed["000_9c5419554aa1a0fb.txt"]
    data = change_form_data(curator, article)
    assert (data["published_time_zone"], data["published_utc_offset"]) == ("Moscow time", 180)
    data["published_time_zone"] = "Moscow time (MSK)"
    response = curator.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    call_command("ingest", str(SEEDS), "--quiet")
    article.refresh_from_db()
    assert article.field_sources["published"] == FROM_CURATOR
    assert (article.published_time_zone, article.published_at) == ("Moscow time (MSK)", "2022-01-06T13:15+03:00")
