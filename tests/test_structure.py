"""The text's structure survives: headings and list items as blocks of their kind, references linked both ways,
snippets inside one block; the body itself stays plain text for search, counts and snippets."""

from __future__ import annotations

import json
import re

from django.core.management import call_command

import articles.ingest
from articles.export import export_string
from articles.highlight import QueryPlan, snippet
from articles.ingest import ingest_bytes, ingest_paths
from articles.model_parts import FROM_CURATOR
from articles.models import Article
from tests.conftest import SEEDS
from tests.test_views import page, seed


def body_html(html: str) -> str:
    return html.split('<div class="body">', 1)[1].split("</div>", 1)[0]


def test_headings_and_lists_render_as_such(client, seeded):
    a = seed(seeded, "003")
    assert a.block_kinds.count("h") == 2 and a.block_kinds.count("li") == 12
    assert "\n\n- " not in a.body and not a.body.startswith("- ")  # bullets are structure, not text
    # Each block and list item carries its paragraph anchor (id="p<n>", linked from the analysis tools).
    html = re.sub(r' id="p\d+"', "", body_html(page(client, f"/articles/{a.pk}/").html))
    assert "<h2>Events timeline</h2>" in html and "<h2>Conclusions</h2>" in html
    lists = re.findall(r"<ul>(.*?)</ul>", html, re.S)
    # the timeline's fifth point is run into a photo caption in the scraped text: a paragraph between lists
    assert [len(re.findall(r"<li>", x)) for x in lists] == [4, 3, 5]
    assert "<li>The long-planned LPG price rise from January 3" in lists[0]
    aj = re.sub(r' id="p\d+"', "", body_html(page(client, f"/articles/{seed(seeded, '001').pk}/").html))
    assert "<h2>From a gas price spike to the coup and counter-coup</h2>" in aj


def test_references_are_numbered_once_linked_and_linked_back(client, seeded):
    a = seed(seeded, "003")
    html = page(client, f"/articles/{a.pk}/").html
    refs = html.split('<ul class="references">', 1)[1].split("</ul>", 1)[0]
    first = re.search(r'<li id="ref-1">(.*?)</li>', refs, re.S).group(1)
    assert first.startswith('<span class="refnum">[1]</span> <a href="https://www.inform.kz/ru/ceny-na-szhizhennyy')
    assert 'rel="nofollow noopener noreferrer"' in first
    assert first.count(">[1]<") == 1 and "<ol" not in refs  # no second, automatic number
    assert '<a class="backref" href="#cite-1"' in first
    # the marker in the text leads to it; [9] and [3] are two references with one address, each linked
    body = body_html(html)
    assert '<a class="cite" id="cite-1" href="#ref-1" aria-label="Reference 1">[1]</a>' in body
    assert len(re.findall(r'<a class="cite" id="cite-\d+(?:-\d+)?" href="#ref-\d+"', body)) == 24
    assert set(re.findall(r'href="#ref-(\d+)"', body)) == {str(n) for n in range(1, 25)}
    # a highlighted marker is still linked
    html = page(client, f"/articles/{a.pk}/?q=24").html
    assert 'href="#ref-24" aria-label="Reference 24">[<mark>24</mark>]</a>' in html


def test_only_http_addresses_in_references_are_links(client, db, search_backend, django_capture_on_commit_callbacks):
    text = (
        "A headline about the unrest\n\n"
        + "The protests spread to Almaty within two days, and the government fell at once [1] [2] [3]. " * 3
        + "\n\n[1] javascript:alert(1)\n[2] https://example.org/a?b=1&c=<script>x</script>\n"
        + '[3] Ministry statement, http://example.org/x" onmouseover="alert(1)\n'
    ).encode()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_bytes("refs.txt", text)
    html = page(client, f"/articles/{outcome.article_id}/").html
    refs = html.split('<ul class="references">', 1)[1].split("</ul>", 1)[0]
    assert 'href="javascript' not in refs and "javascript:alert(1)" in refs  # shown, not linked
    assert (
        "<script>" not in refs and 'href="https://example.org/a?b=1&amp;c=&lt;script&gt;x&lt;/script&gt;"' not in refs
    )
    assert 'href="https://example.org/a?b=1&amp;c="' in refs  # the address ends where markup would begin
    assert 'href="http://example.org/x"' in refs and ' onmouseover="' not in refs


def test_snippets_stay_inside_one_block(client, seeded):
    results = client.get("/api/search", {"q": "discussing"}).json()["results"]
    hit = next(r for r in results if r["source_file"].startswith("001"))
    text = re.sub(r"</?mark>", "", hit["snippet"])
    assert text.startswith("… Before discussing the impact")  # not "…counter-coup Before discussing…"
    assert "counter-coup Before" not in text
    body = "Events timeline\n\n" + "The long-planned LPG price rise sparked protests in Aktau. " * 3
    marked = snippet(body, QueryPlan(terms=frozenset({"aktau"})))
    assert "<mark>Aktau</mark>" in marked and "timeline" not in marked
    assert snippet("Events timeline\n\nShort.\n\n" + "Words of the article that open it. " * 5, QueryPlan()).startswith(
        "… Words of the article"
    )  # the opening is text, not the heading


def test_export_gives_a_kind_for_every_block(seeded):
    a = seed(seeded, "003")
    record = next(r for r in map(json.loads, export_string("jsonl").splitlines()) if r["id"] == a.pk)
    blocks = record["body"].split("\n\n")
    assert len(record["block_kinds"]) == len(blocks)
    assert [b for k, b in zip(record["block_kinds"], blocks, strict=True) if k == "h"] == [
        "Events timeline",
        "Conclusions",
    ]
    assert set(record["block_kinds"]) == {"p", "h", "li"}


def test_an_edit_that_changes_the_blocks_forgets_their_kinds(seeded):
    a = seed(seeded, "003")
    kinds = list(a.block_kinds)
    a.body = a.body.replace("Events timeline", "Events timeline, corrected")  # same blocks: kinds stay
    a.save()
    assert a.block_kinds == kinds
    a.body = a.body.replace("\n\nConclusions\n\n", "\n\n")  # one block fewer: which is a heading is unknown
    a.save()
    assert a.block_kinds == [] and {k for k, _ in a.blocks} == {"p"}


def test_a_new_extractor_updates_unchanged_files_and_keeps_curator_edits(db, search_backend, monkeypatch, capsys):
    monkeypatch.setattr(articles.ingest, "EXTRACTOR_VERSION", "text-1/html-1")  # as ingested by the last release
    assert ingest_paths([SEEDS]).summary() == "5 created, 0 updated, 0 unchanged, 0 failed"
    curated = Article.objects.get(source_file="003_1d74b9649cbe830b.txt")
    curated.body = "A curator's own text.\n\n- kept as typed"
    curated.field_sources = {**curated.field_sources, "body": FROM_CURATOR}
    curated.save()
    monkeypatch.undo()

    call_command("ingest", str(SEEDS))
    assert "0 created, 5 updated, 0 unchanged, 0 failed" in capsys.readouterr().out
    curated.refresh_from_db()
    assert curated.body == "A curator's own text.\n\n- kept as typed" and curated.block_kinds == []
    aj = Article.objects.get(source_file="001_85c1c91c220d666a.txt")
    assert aj.block_kinds.count("h") == 2
    call_command("ingest", str(SEEDS))
    assert "0 created, 0 updated, 5 unchanged, 0 failed" in capsys.readouterr().out
