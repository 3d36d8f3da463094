"""Login lockout: after LOGIN_LOCKOUT_FAILURES failed logins for one username from one address within
LOGIN_LOCKOUT_WINDOW seconds, that username is refused from that address for LOGIN_LOCKOUT_DURATION seconds.

Three small pieces, all here:

* signal receivers count failures (`user_login_failed`) and forget them on success (`user_logged_in`);
* `LockoutBackend`, first in AUTHENTICATION_BACKENDS, claims one of the window's password checks before
  the next backend checks the password, and makes `authenticate()` fail when none is left, whatever view
  asked (so a locked-out password is not even checked);
* `LoginLockoutMiddleware` answers a login POST for a locked username with the login page, HTTP 429
  and a message that says what happened and for how long, instead of the generic "wrong password".

State is one `LoginAttempts` row per username and address (keys are hashes: usernames and addresses
are not stored in clear), changed only by conditional UPDATEs, so the limit holds across workers and
hosts however many attempts arrive at once: the count is claimed before the password is checked, not
recorded after (a cache's read-modify-write let 16 simultaneous attempts make 6 checks, issue 11).
Why not django-axes: it records failures after the check too (measured: 16 simultaneous attempts made
16 checks), and brings its own models, admin screens and some thirty settings.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.dispatch import receiver
from django.urls import reverse


def _now() -> float:
    return time.time()


def client_ip(request) -> str:
    """REMOTE_ADDR, or the header a trusted reverse proxy sets (LOGIN_LOCKOUT_IP_HEADER, e.g. HTTP_X_REAL_IP).

    Only configure the header when a proxy you control always sets it: clients can send it too.
    For X-Forwarded-For the last entry is the one the nearest proxy appended.
    """
    header = settings.LOGIN_LOCKOUT_IP_HEADER
    if header and request is not None:
        value = request.META.get(header, "").split(",")[-1].strip()
        if value:
            return value
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "") or "unknown"


def _key(username: str, ip: str) -> str:
    return hashlib.sha256(f"{username.strip().casefold()}\x00{ip}".encode()).hexdigest()


def _rows(username: str, ip: str):
    from articles.models import LoginAttempts

    return LoginAttempts.objects.filter(key=_key(username, ip))


def locked_for(username: str, ip: str) -> int:
    """Seconds left on the lock for this username from this address (0: not locked)."""
    until = _rows(username, ip).values_list("locked_until", flat=True).first()
    if not until:
        return 0
    return max(0, math.ceil(until - _now()))


def claim_check(username: str, ip: str) -> bool:
    """Reserve one password check for this username and address; False when none is left (locked, or the
    last ones are being checked right now).

    Every step is one conditional UPDATE, which the database applies to the row atomically: however many
    requests arrive at once, at most LOGIN_LOCKOUT_FAILURES of them get a check per window.
    """
    from articles.models import LoginAttempts

    now = _now()
    rows = _rows(username, ip)
    LoginAttempts.objects.bulk_create([LoginAttempts(key=_key(username, ip), window_start=now)], ignore_conflicts=True)
    # A lock that has run out, or a window that has passed without one, starts a fresh window.
    rows.filter(locked_until__gt=0, locked_until__lte=now).update(checks=0, window_start=now, locked_until=0)
    rows.filter(locked_until=0, window_start__lte=now - settings.LOGIN_LOCKOUT_WINDOW).update(
        checks=0, window_start=now
    )
    return bool(rows.filter(locked_until=0, checks__lt=settings.LOGIN_LOCKOUT_FAILURES).update(checks=F("checks") + 1))


def record_failure(username: str, ip: str) -> None:
    """A check failed: once the window's checks are used up, lock (attempts during a lock neither extend
    it nor count towards the next one)."""
    _rows(username, ip).filter(locked_until=0, checks__gte=settings.LOGIN_LOCKOUT_FAILURES).update(
        locked_until=_now() + settings.LOGIN_LOCKOUT_DURATION
    )


def reset(username: str, ip: str) -> None:
    _rows(username, ip).delete()


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
        if username and not claim_check(str(username), client_ip(request)):
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
        login_url = str(getattr(settings, "LOGIN_URL", ""))
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
