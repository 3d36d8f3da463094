"""The curators' admin: login, edits recorded as curated, the index updated at once, bulk stance."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from articles.model_parts import FROM_CURATOR
from articles.models import Article, StanceCategory
from articles.search import SearchParams, search_articles
from tests.conftest import SEEDS


@pytest.fixture
def curator(transactional_db):
    user = User.objects.create_superuser("curator", "c@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    return client


def change_form_data(client, article, url: str | None = None):
    """The admin change form's current values, as a browser would post them back (an article's, or `url`'s)."""
    response = client.get(url or f"/admin/articles/article/{article.pk}/change/")
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, list | tuple) else value
        if form.fields[name].show_hidden_initial:  # rendered as a hidden input too (fields with a callable default)
            data[f"initial-{name}"] = data[name]
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
    before = {a.pk: snapshot(a.pk) for a in seeded_committed.values()}
    ids = [a.pk for a in seeded_committed.values()]
    response = curator.post(
        "/admin/articles/article/",
        {"action": f"set_stance_{stance.pk}", "_selected_action": ids},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Article.objects.values_list("stance__slug", flat=True)) == {"analytical"}
    recoded = {pk for pk, snap in before.items() if snap["stance_id"] != stance.pk}
    assert len(recoded) == 3
    for pk, old in before.items():
        new = snapshot(pk)
        if pk in recoded:  # the stance is the curator's now; the rationale argued for the old one
            assert new["field_sources"]["stance"] == new["field_sources"]["stance_rationale"] == FROM_CURATOR
            assert new["stance_rationale"] == ""
            assert without(new, "stance_id", "stance_rationale", "field_sources") == without(
                old, "stance_id", "stance_rationale", "field_sources"
            )
        else:  # already coded so: nothing changes, provenance included
            assert new == old
    assert [str(m) for m in response.context["messages"]] == [
        "Stance set to “Analytical, no clear side” on 3 article(s); 2 already had it and were left unchanged; "
        "the rationale of 3 was cleared (it argued for the previous stance): add one."
    ]
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


def test_admin_search_finds_words_of_the_body(seeded_committed, curator):
    response = curator.get("/admin/articles/article/?q=Kumtor")  # only in PolitNavigator's body
    assert [a.source_file for a in response.context["cl"].result_list] == ["000_9c5419554aa1a0fb.txt"]
    response = curator.get("/admin/articles/article/?q=InformNapalm")  # the outlet's name
    assert response.context["cl"].result_count >= 1


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


def test_upload_page_states_the_size_limit(curator, settings):
    settings.INGEST_MAX_BYTES = 5 * 1024 * 1024
    html = curator.get("/admin/articles/article/upload/").content.decode()
    assert "Limit per file: 5.0\xa0MB (5,242,880 bytes)." in html


def test_upload_over_the_limit_names_the_limit(curator, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.INGEST_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.txt", b"word " * 300)
    response = curator.post("/admin/articles/article/upload/", {"files": [big]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "big.txt: failed. file is 1,500 bytes, over the limit of 1000\xa0bytes (1,000 bytes)."
    ]


def test_upload_keeps_the_file_byte_for_byte(seeded_committed, curator):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    data = "Almaty curfew\r\n\r\nThe curfew in Almaty was extended, officials said. Café £5.\r\n".encode("cp1252") * 20
    response = curator.post(
        "/admin/articles/article/upload/", {"files": [SimpleUploadedFile("curfew notes.txt", data)]}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["curfew notes.txt: created."]
    article = Article.objects.get(source_file="curfew notes.txt")
    assert bytes(article.raw_bytes) == data and article.sha256 == hashlib.sha256(data).hexdigest()
    again = curator.post(
        "/admin/articles/article/upload/", {"files": [SimpleUploadedFile("curfew notes.txt", data)]}, follow=True
    )
    assert [str(m) for m in again.context["messages"]] == ["curfew notes.txt: unchanged."]


def test_upload_needs_add_permission(db):
    user = User.objects.create_user("reader", password="a-long-test-password", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get("/admin/articles/article/upload/").status_code == 403


# --- every field round-trips: what a curator did not change keeps its value and its provenance ---------

TEXTAREAS = ("title", "body", "date_note", "stance_rationale", "description", "references")


def snapshot(pk: int) -> dict:
    """Everything stored about an article (its original bytes, credits and tags too), but updated_at."""
    article = Article.objects.get(pk=pk)
    values = {f.attname: getattr(article, f.attname) for f in Article._meta.concrete_fields if f.name != "updated_at"}
    values["raw_bytes"] = bytes(values["raw_bytes"])  # memoryview on PostgreSQL
    values["credits"] = [(c.person.name, c.role, c.position) for c in article.credits.order_by("position", "id")]
    values["tags"] = sorted(article.tags.values_list("name", flat=True))
    return values


def without(values: dict, *names) -> dict:
    return {k: v for k, v in values.items() if k not in names}


def as_browser_sends(data: dict) -> dict:
    """Browsers submit a textarea's line breaks as CRLF."""
    return {k: v.replace("\n", "\r\n") if k in TEXTAREAS and isinstance(v, str) else v for k, v in data.items()}


def post_change(client, article, data):
    response = client.post(f"/admin/articles/article/{article.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


@pytest.mark.parametrize("name", [p.name for p in sorted(SEEDS.iterdir())])
def test_saving_unchanged_keeps_every_field_and_its_provenance(seeded_committed, curator, name):
    article = seeded_committed[name]
    before = snapshot(article.pk)
    post_change(curator, article, as_browser_sends(change_form_data(curator, article)))
    assert snapshot(article.pk) == before
    assert len(Article.objects.get(pk=article.pk).paragraphs) == len(article.paragraphs) > 1


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("title", "A new title\nover two lines", "title"),
        ("date_note", "Checked against the\npage's archive copy.", "published"),
        ("stance_rationale", "Quotes: “the CSTO saved the state”.", "stance_rationale"),
        ("language", "en-GB", "language"),
    ],
)
def test_changing_one_field_changes_only_it_and_its_provenance(seeded_committed, curator, field, value, key):
    article = seeded_committed["003_1d74b9649cbe830b.txt"]
    before = snapshot(article.pk)
    data = change_form_data(curator, article)
    data[field] = value
    post_change(curator, article, as_browser_sends(data))
    after = snapshot(article.pk)
    assert after[field] == value  # stored with LF line breaks, not the CRLF the browser sent
    assert after["field_sources"] == {**before["field_sources"], key: FROM_CURATOR}
    assert without(after, field, "field_sources") == without(before, field, "field_sources")


def test_an_edited_body_keeps_its_paragraphs(seeded_committed, curator):
    article = seeded_committed["000_9c5419554aa1a0fb.txt"]
    before = snapshot(article.pk)
    data = change_form_data(curator, article)
    data["body"] = data["body"].replace("Kumtor", "Kumtor gold mine", 1)
    post_change(curator, article, as_browser_sends(data))
    after = snapshot(article.pk)
    assert "\r" not in after["body"] and after["body"] == before["body"].replace("Kumtor", "Kumtor gold mine", 1)
    assert len(Article.objects.get(pk=article.pk).paragraphs) == len(article.paragraphs)
    assert after["field_sources"] == {**before["field_sources"], "body": FROM_CURATOR}


def test_a_stored_value_the_form_would_refuse_does_not_block_other_edits(seeded_committed, curator):
    article = seeded_committed["002_1e562040c40c0d33.txt"]
    Article.objects.filter(pk=article.pk).update(url="https://my_blog.example.org/post", title="  Spaced title  ")
    before = snapshot(article.pk)
    data = change_form_data(curator, article)
    data["date_note"] = "Dated from the text."
    post_change(curator, article, as_browser_sends(data))
    after = snapshot(article.pk)
    assert (after["url"], after["title"]) == ("https://my_blog.example.org/post", "  Spaced title  ")
    assert without(after, "date_note", "field_sources") == without(before, "date_note", "field_sources")


def test_unchanged_credits_and_tags_keep_their_provenance(seeded_committed, curator):
    article = seeded_committed["003_1d74b9649cbe830b.txt"]
    before = snapshot(article.pk)
    data = change_form_data(curator, article)
    data["credits-0-role"] = "editor"
    post_change(curator, article, as_browser_sends(data))
    after = snapshot(article.pk)
    assert after["credits"][0] == ("Sofia Hriniova", "editor", 0)
    assert after["field_sources"] == {**before["field_sources"], "credits": FROM_CURATOR}
    assert without(after, "credits", "field_sources") == without(before, "credits", "field_sources")


def test_outlet_person_and_stance_text_areas_store_lf_line_breaks(seeded_committed, curator):
    from articles.models import Person, Source

    source = Source.objects.get(name="InformNapalm")
    data = {
        "name": source.name,
        "slug": source.slug,
        "homepage": source.homepage,
        "kind": source.kind,
        "country": source.country,
        "language": source.language,
        "description": "First paragraph.\r\n\r\nSecond paragraph.",
        "notes": source.notes.replace("\n", "\r\n"),
    }
    assert curator.post(f"/admin/articles/source/{source.pk}/change/", data).status_code == 302
    source.refresh_from_db()
    assert source.description == "First paragraph.\n\nSecond paragraph."
    person = Person.objects.get(name="Sofia Hriniova")
    data = {"name": person.name, "slug": person.slug, "notes": "Volunteer.\r\nAnalyst."}
    assert curator.post(f"/admin/articles/person/{person.pk}/change/", data).status_code == 302
    person.refresh_from_db()
    assert person.notes == "Volunteer.\nAnalyst."
    stance = StanceCategory.objects.get(slug="analytical")
    data = {"name": stance.name, "slug": stance.slug, "position": stance.position, "description": "A.\r\nB."}
    assert curator.post(f"/admin/articles/stancecategory/{stance.pk}/change/", data).status_code == 302
    stance.refresh_from_db()
    assert stance.description == "A.\nB."


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
