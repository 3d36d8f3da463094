"""Accounts: the admin needs a login, failed logins lock out, roles from the 0002_roles migration, CSRF on."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings

from articles import lockout

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """PBKDF2 at production strength costs ~0.3 s a login attempt; these tests make dozens."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LOGIN = "/admin/login/"
PASSWORD = "correct horse battery staple"
ARCHIVE_MODELS = {"article", "source", "person", "credit", "stancecategory", "tag"}


def make_user(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def client_for(user: User, **kwargs) -> Client:
    c = Client(**kwargs)
    c.force_login(user)
    return c


def attempt(c: Client, username: str, password: str, **extra):
    return c.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


# --- login required --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/articles/article/", "/admin/articles/article/1/change/", "/admin/auth/user/"]
)
def test_anonymous_is_sent_to_login(client, url):
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith(f"{LOGIN}?next=")


def test_anonymous_post_changes_nothing(seeded, client):
    article = next(iter(seeded.values()))
    r = client.post(f"/admin/articles/article/{article.pk}/change/", {"title": "pwned"})
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)
    article.refresh_from_db()
    assert article.title != "pwned"


def test_non_staff_user_cannot_use_the_admin(client):
    User.objects.create_user("reader", password=PASSWORD)  # not staff
    r = attempt(client, "reader", PASSWORD)
    assert r.status_code == 200 and not logged_in(r)
    assert "correct username and password for a staff account" in r.content.decode()


def test_staff_login_works(client):
    make_user("alice")
    assert logged_in(attempt(client, "alice", PASSWORD))


# --- lockout -------------------------------------------------------------------------------------------


def fail(c: Client, username: str, times: int, **extra):
    for _ in range(times):
        r = attempt(c, username, "wrong password", **extra)
        assert r.status_code == 200  # the ordinary "wrong password" form
        assert "Please enter the correct username and password" in r.content.decode()


def test_five_failures_lock_the_username_from_that_address(client):
    make_user("alice")
    fail(client, "alice", 4)
    assert logged_in(attempt(client, "alice", PASSWORD)), "4 failures must not lock"
    client.logout()
    fail(client, "alice", 5)
    r = attempt(client, "alice", PASSWORD)  # the right password, refused
    assert r.status_code == 429
    assert int(r["Retry-After"]) > 14 * 60
    html = r.content.decode()
    assert "Too many failed logins for this username from your address" in html
    assert "refused for 15 more minutes" in html
    assert 'name="username"' in html  # the login page, not a bare error
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still anonymous


def test_lock_is_per_username_and_address(client):
    make_user("alice")
    make_user("bob")
    fail(client, "alice", 5)
    assert attempt(client, "alice", PASSWORD).status_code == 429
    assert attempt(client, "ALICE ", PASSWORD).status_code == 429  # same username, other spelling
    assert logged_in(attempt(Client(), "bob", PASSWORD))  # another username from the same address
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert logged_in(attempt(other, "alice", PASSWORD))  # the same username from another address


def test_lock_also_holds_outside_the_login_view():
    """The backend refuses while locked, whoever calls authenticate()."""
    make_user("alice")
    request = type("R", (), {"META": {"REMOTE_ADDR": "198.51.100.7"}})()
    for _ in range(5):
        assert authenticate(request, username="alice", password="nope") is None
    assert authenticate(request, username="alice", password=PASSWORD) is None
    assert (
        authenticate(type("R", (), {"META": {"REMOTE_ADDR": "198.51.100.8"}})(), username="alice", password=PASSWORD)
        is not None
    )


def test_lock_expires_and_old_failures_fall_out_of_the_window(client, monkeypatch):
    make_user("alice")
    now = [1_000_000.0]
    monkeypatch.setattr(lockout, "_now", lambda: now[0])
    fail(client, "alice", 4)
    now[0] += 16 * 60  # those four are now outside the 15-minute window
    fail(client, "alice", 4)
    assert logged_in(attempt(client, "alice", PASSWORD))
    client.logout()
    fail(client, "alice", 5)
    now[0] += 14 * 60
    r = attempt(client, "alice", PASSWORD)
    assert r.status_code == 429 and "refused for 1 more minute." in r.content.decode()
    now[0] += 61
    assert logged_in(attempt(client, "alice", PASSWORD))


def test_success_resets_the_count(client):
    make_user("alice")
    fail(client, "alice", 4)
    assert logged_in(attempt(client, "alice", PASSWORD))
    client.logout()
    fail(client, "alice", 4)
    assert logged_in(attempt(client, "alice", PASSWORD))


def test_client_address_from_trusted_proxy_header(client):
    make_user("alice")
    with override_settings(LOGIN_LOCKOUT_IP_HEADER="HTTP_X_REAL_IP"):
        fail(client, "alice", 5, HTTP_X_REAL_IP="192.0.2.1")
        assert attempt(client, "alice", PASSWORD, HTTP_X_REAL_IP="192.0.2.1").status_code == 429
        assert logged_in(attempt(client, "alice", PASSWORD, HTTP_X_REAL_IP="192.0.2.2"))
    # without the setting the header is ignored (clients could forge it): REMOTE_ADDR counts
    c = Client()
    fail(c, "bob-not-a-user", 5, HTTP_X_REAL_IP="192.0.2.3")
    assert attempt(c, "bob-not-a-user", "x", HTTP_X_REAL_IP="192.0.2.4").status_code == 429


def test_unknown_usernames_lock_too(client):
    """No difference between existing and unknown usernames (no account enumeration through the lock)."""
    fail(client, "nobody", 5)
    assert attempt(client, "nobody", "x").status_code == 429


def test_lockout_state_does_not_store_names_in_clear(client):
    fail(client, "alice@example.org", 5)
    from articles.models import LoginAttempts

    key = lockout._key("alice@example.org", "127.0.0.1")
    assert "alice" not in key and LoginAttempts.objects.get(key=key).locked_until


# --- roles ------------------------------------------------------------------------------------------


def perms(group: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=group).permissions.all()}


def test_roles_created_by_migration():
    assert perms("researcher") == {f"articles.view_{m}" for m in ARCHIVE_MODELS}
    assert perms("curator") == {f"articles.{a}_{m}" for m in ARCHIVE_MODELS for a in ("view", "add", "change")}
    assert not any(p.endswith(("_user", "_group", "_permission")) for p in perms("curator"))
    assert Permission.objects.filter(codename="view_article").count() == 1


def test_researcher_can_read_but_not_change(seeded):
    article = next(iter(seeded.values()))
    c = client_for(make_user("rita", "researcher"))
    changelist = c.get("/admin/articles/article/")
    assert changelist.status_code == 200
    assert article.title in changelist.content.decode()
    assert 'name="action"' not in changelist.content.decode()  # no bulk actions (delete, set stance)
    url = f"/admin/articles/article/{article.pk}/change/"
    form = c.get(url)
    assert form.status_code == 200
    html = form.content.decode()
    assert article.title in html
    assert 'name="_save"' not in html and 'value="Save"' not in html
    assert 'name="title"' not in html  # read-only display, no inputs
    for model in ARCHIVE_MODELS - {"credit"}:
        assert c.get(f"/admin/articles/{model}/").status_code == 200, model
    r = c.post(url, {"title": "changed by a researcher"})
    assert r.status_code == 403
    article.refresh_from_db()
    assert article.title != "changed by a researcher"
    assert c.get("/admin/articles/article/add/").status_code == 403
    assert c.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403
    assert c.get("/admin/auth/user/").status_code == 403


def form_data(form) -> dict:
    data = {}
    for bf in form:
        value = bf.value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[bf.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bf.html_name] = [str(v) for v in value]
        else:
            data[bf.html_name] = str(value)
    return data


def change_form_post_data(response) -> dict:
    data = form_data(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(form_data(inline.formset.management_form))
        for f in inline.formset.forms:
            data.update(form_data(f))
    return data


def test_curator_can_edit_but_not_delete_or_manage_users(seeded, django_capture_on_commit_callbacks):
    article = next(iter(seeded.values()))
    c = client_for(make_user("carla", "curator"))
    url = f"/admin/articles/article/{article.pk}/change/"
    form = c.get(url)
    assert form.status_code == 200 and 'name="_save"' in form.content.decode()
    data = change_form_post_data(form)
    data["title"] = "Retitled by the curator"
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    article.refresh_from_db()
    assert article.title == "Retitled by the curator"
    assert article.field_sources["title"] == "curator"
    assert c.get("/admin/articles/source/add/").status_code == 200
    assert c.get(f"/admin/articles/article/{article.pk}/delete/").status_code == 403
    for url in ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"]:
        assert c.get(url).status_code == 403, url


# --- CSRF -----------------------------------------------------------------------------------------------


def test_csrf_enforced_on_admin_posts(seeded):
    article = next(iter(seeded.values()))
    user = make_user("carla", "curator")
    c = client_for(user, enforce_csrf_checks=True)
    url = f"/admin/articles/article/{article.pk}/change/"
    data = change_form_post_data(c.get(url))
    data["title"] = "forged"
    r = c.post(url, data)  # no csrfmiddlewaretoken
    assert r.status_code == 403
    assert "CSRF" in r.content.decode()
    article.refresh_from_db()
    assert article.title != "forged"
    # with the token from the form, the same post goes through
    data["csrfmiddlewaretoken"] = c.cookies["csrftoken"].value
    assert c.post(url, data).status_code == 302


def test_csrf_enforced_on_login():
    make_user("alice")
    c = Client(enforce_csrf_checks=True)
    assert attempt(c, "alice", PASSWORD).status_code == 403


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)", ""])
def test_login_with_an_unsafe_or_missing_next_lands_on_the_admin(next_url):
    make_user("curator")
    c = Client()
    r = c.post(f"{LOGIN}?next={next_url}", {"username": "curator", "password": PASSWORD, "next": next_url})
    assert r.status_code == 302 and r["Location"] == "/admin/"  # not Django's /accounts/profile/, a 404 here
    assert c.get(r["Location"]).status_code == 200
