"""Time zones as pages state them: an offset (`+06:00`, `UTC+3`, `Z`) or a named zone ("Moscow time").

A page's time is only meaningful with its zone, and the archive never guesses one: a zone is read
only where the page writes it. A named zone becomes an offset only through the time-zone database
for that place at that date (Moscow time on 6 January 2022 is UTC+3), never by assuming the server's
or the outlet's zone. Names we cannot place (e.g. "local time", "Kazakhstan time", which spanned two
zones) are kept as written, with no offset.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Places (and the few unambiguous abbreviations) a page may name for its time -> IANA zone.
PLACES = {
    "moscow": "Europe/Moscow",
    "msk": "Europe/Moscow",
    "kyiv": "Europe/Kyiv",
    "kiev": "Europe/Kyiv",
    "minsk": "Europe/Minsk",
    "almaty": "Asia/Almaty",
    "alma-ata": "Asia/Almaty",
    "astana": "Asia/Almaty",
    "nur-sultan": "Asia/Almaty",
    "bishkek": "Asia/Bishkek",
    "tashkent": "Asia/Tashkent",
    "dushanbe": "Asia/Dushanbe",
    "beijing": "Asia/Shanghai",
    "london": "Europe/London",
    "berlin": "Europe/Berlin",
    "paris": "Europe/Paris",
    "doha": "Asia/Qatar",
    "utc": "UTC",
    "gmt": "UTC",
    "greenwich": "UTC",
}
_PLACE = r"[A-Z][A-Za-z\-]+(?: [A-Z][A-Za-z\-]+)?"
# "(Moscow time)", "Moscow time", "MSK", "UTC", "GMT".
NAMED_ZONE = re.compile(rf"\(?\s*\b({_PLACE} time|MSK|UTC|GMT)\b\s*\)?")
# What may follow a time: "Z", "+06:00", "-0500", "UTC+3", "GMT", "UTC".
OFFSET_AFTER_TIME = re.compile(
    r"\s*(?:(?P<z>Z)\b|(?:UTC|GMT)?\s*(?P<sign>[+\-−])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?!\d)|(?P<utc>UTC|GMT)\b)"
)


def offset_after(text: str) -> dt.timezone | None:
    """The UTC offset stated right after a time ("+06:00", "UTC+3", "Z", " GMT"); None when none is."""
    m = OFFSET_AFTER_TIME.match(text)
    if not m:
        return None
    if m.group("z") or m.group("utc"):
        return dt.UTC
    sign = -1 if m.group("sign") in "-−" else 1
    hours, minutes = int(m.group("h")), int(m.group("m") or 0)
    if hours > 14 or minutes >= 60:
        return None
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def place_zone(name: str) -> ZoneInfo | None:
    """The IANA zone of a named zone ("Moscow time" -> Europe/Moscow); None when we cannot place it."""
    key = re.sub(r"\s+time$", "", name.strip(), flags=re.I).casefold()
    iana = PLACES.get(key)
    if not iana:
        return None
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError:  # no time-zone database on this machine: keep the name only
        return None


def zone_offset_minutes(zone_name: str, local: dt.datetime) -> int | None:
    """Minutes east of UTC of a named zone at a local date and time; None when we cannot place the name."""
    zone = place_zone(zone_name)
    if zone is None:
        return None
    return int(local.replace(tzinfo=zone).utcoffset().total_seconds() // 60)


def format_offset(minutes: int, *, iso: bool = False) -> str:
    """180 -> "UTC+03:00" (ISO 8601: "+03:00"); -330 -> "UTC-05:30"; 0 -> "UTC" ("+00:00")."""
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    if iso:
        return f"{sign}{h:02d}:{m:02d}"
    return "UTC" if minutes == 0 else f"UTC{sign}{h:02d}:{m:02d}"
