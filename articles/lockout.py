"""Login lockout: after LOGIN_LOCKOUT_FAILURES failed logins for one username from one address within
LOGIN_LOCKOUT_WINDOW seconds, that username is refused from that address for LOGIN_LOCKOUT_DURATION seconds.

Three small pieces, all here:

* signal receivers count failures (`user_login_failed`) and forget them on success (`user_logged_in`);
* `LockoutBackend`, first in AUTHENTICATION_BACKENDS, makes every `authenticate()` call fail while a
  lock holds, whatever view asked (so a locked-out password is not even checked);
* `LoginLockoutMiddleware` answers a login POST for a locked username with the login page, HTTP 429
  and a message that says what happened and for how long, instead of the generic "wrong password".

State lives in the cache alias LOGIN_LOCKOUT_CACHE (settings: a database cache, shared by all workers;
`migrate` creates its table). Keys are hashes: usernames and addresses are not stored in clear.
Why not django-axes: it is a fine package, but it brings its own models, migrations, admin screens and
some thirty settings for what is here ~100 lines with one moving part (the cache) and no schema.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.urls import reverse


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_failures() -> int:
    return _setting("LOGIN_LOCKOUT_FAILURES", 5)


def window() -> int:
    return _setting("LOGIN_LOCKOUT_WINDOW", 15 * 60)


def duration() -> int:
    return _setting("LOGIN_LOCKOUT_DURATION", 15 * 60)


def _now() -> float:
    return time.time()


def _cache():
    return caches[_setting("LOGIN_LOCKOUT_CACHE", "default")]


def client_ip(request) -> str:
    """REMOTE_ADDR, or the header a trusted reverse proxy sets (LOGIN_LOCKOUT_IP_HEADER, e.g. HTTP_X_REAL_IP).

    Only configure the header when a proxy you control always sets it: clients can send it too.
    For X-Forwarded-For the last entry is the one the nearest proxy appended.
    """
    header = _setting("LOGIN_LOCKOUT_IP_HEADER", "")
    if header and request is not None:
        value = request.META.get(header, "").split(",")[-1].strip()
        if value:
            return value
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "unknown"


def _key(kind: str, username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().casefold()}\x00{ip}".encode()).hexdigest()
    return f"kz-lockout:{kind}:{digest}"


def locked_for(username: str, ip: str) -> int:
    """Seconds left on the lock for this username from this address (0: not locked)."""
    until = _cache().get(_key("lock", username, ip))
    if not until:
        return 0
    return max(0, math.ceil(until - _now()))


def record_failure(username: str, ip: str) -> None:
    cache, now = _cache(), _now()
    if locked_for(username, ip):
        return  # attempts during a lock neither extend it nor count towards the next one
    key = _key("fail", username, ip)
    recent = [t for t in (cache.get(key) or []) if now - t < window()]
    recent.append(now)
    if len(recent) >= max_failures():
        cache.set(_key("lock", username, ip), now + duration(), timeout=duration())
        cache.delete(key)
    else:
        cache.set(key, recent, timeout=window())


def reset(username: str, ip: str) -> None:
    _cache().delete_many([_key("fail", username, ip), _key("lock", username, ip)])


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return (
        f"Too many failed logins for this username from your address: login is refused for "
        f"{minutes} more minute{'s' if minutes != 1 else ''}. Wait, or ask an administrator to reset your password."
    )


@receiver(user_login_failed, dispatch_uid="kzarchive-lockout-failed")
def _on_failure(sender, credentials, request=None, **kwargs):
    username = credentials.get("username")
    if username:
        record_failure(str(username), client_ip(request))


@receiver(user_logged_in, dispatch_uid="kzarchive-lockout-success")
def _on_success(sender, request, user, **kwargs):
    reset(user.get_username(), client_ip(request))


class LockoutBackend:
    """Refuses authentication outright while a lock holds; otherwise defers to the next backend.

    It has no get_user() on purpose: it never logs anyone in, so sessions and Client.force_login()
    (which picks the first backend that has get_user) keep using ModelBackend.
    """

    def authenticate(self, request, username=None, **kwargs):
        if username and locked_for(str(username), client_ip(request)):
            raise PermissionDenied("login locked out")
        return None


class LoginLockoutMiddleware:
    """A login POST for a locked username gets the login page back with the reason, status 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path in self._login_paths():
            username = request.POST.get("username", "")
            seconds = locked_for(username, client_ip(request)) if username else 0
            if seconds:
                return self._refuse(request, seconds)
        return self.get_response(request)

    @staticmethod
    def _login_paths() -> set[str]:
        paths = {reverse("admin:login")}
        login_url = str(_setting("LOGIN_URL", ""))
        if login_url.startswith("/"):
            paths.add(login_url)
        return paths

    @staticmethod
    def _refuse(request, seconds: int):
        from django.contrib import admin

        messages.error(request, lockout_message(seconds))
        request.method = "GET"  # render the empty login form; the password is never looked at
        response = admin.site.login(request)
        if hasattr(response, "render"):
            response.render()
        response.status_code = 429
        response["Retry-After"] = str(seconds)
        return response
