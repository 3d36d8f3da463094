"""A word followed by a question mark or an asterisk in an article is indexed as the word.

The index once split text with the query pattern, which keeps wildcards inside words: "Zyxwvu?" was
indexed as "zyxwvu?", so searching Zyxwvu did not find the article and nothing could mark the word.
"""

from __future__ import annotations

from articles.highlight import highlight, query_plan
from articles.ingest import ingest_bytes
from articles.search import SearchParams, search_articles


def test_a_word_before_a_question_mark_is_found_and_marked(db, search_backend, django_capture_on_commit_callbacks):
    text = "Who gave the order\n\nWho gave the order, Zyxwvu? Nobody says. Was it Qwertz*, then?\n"
    with django_capture_on_commit_callbacks(execute=True):
        outcome = ingest_bytes("question.txt", text.encode())
    assert outcome.status == "created"
    for word in ("Zyxwvu", "Qwertz"):
        results = search_articles(SearchParams(q=word))
        assert results.count == 1, word
    body = "Who gave the order, Zyxwvu? Nobody says."
    assert "<mark>Zyxwvu</mark>?" in highlight(body, query_plan("Zyxwvu"))
