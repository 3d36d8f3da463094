"""Turn a query string into validated SearchParams; shared by the pages and the API."""

from __future__ import annotations

import datetime as dt

from articles.search import FACETS, MAX_PAGE_SIZE, SORTS, SPELLINGS, SearchParams


class BadParameter(ValueError):
    pass


def _int(value: str, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadParameter(f"{name} must be a whole number, not {value[:40]!r}") from None


def _date(value: str, name: str, end: bool = False) -> dt.date | None:
    """Accept 2022, 2022-01 or 2022-01-06; `end` takes the last day of a year or month."""
    if not value:
        return None
    parts = value.strip().split("-")
    try:
        nums = [int(p) for p in parts]
        if not 1000 <= nums[0] <= 9999:  # engines format dates as %Y, unpadded before 1000
            raise ValueError
        if len(nums) == 1:
            return dt.date(nums[0], 12, 31) if end else dt.date(nums[0], 1, 1)
        if len(nums) == 2:
            if not end:
                return dt.date(nums[0], nums[1], 1)
            nxt = dt.date(nums[0] + nums[1] // 12, nums[1] % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        if len(nums) == 3:
            return dt.date(*nums)
    except (ValueError, OverflowError):
        pass
    raise BadParameter(f"{name} must be a date like 2022, 2022-01 or 2022-01-06, not {value[:40]!r}")


def parse_params(query) -> SearchParams:
    """Raise BadParameter with a message fit for the user on anything malformed."""
    sort = query.get("sort", "")
    if sort and sort not in SORTS:
        raise BadParameter(f"sort must be one of {', '.join(SORTS)}")
    spelling = query.get("spelling", "") or "variants"
    if spelling not in SPELLINGS:
        raise BadParameter(f"spelling must be one of {', '.join(SPELLINGS)}")
    page_size = _int(query.get("page_size"), "page_size", 20)
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise BadParameter(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    params = SearchParams(
        q=query.get("q", "")[:500],
        sort=sort,
        spelling=spelling,
        page=_int(query.get("page"), "page", 1),
        page_size=page_size,
        date_from=_date(query.get("from", ""), "from"),
        date_to=_date(query.get("to", ""), "to", end=True),
    )
    if params.date_from and params.date_to and params.date_from > params.date_to:
        # Not an empty answer but a mistake: say so rather than report "0 articles".
        raise BadParameter(f"from ({query.get('from')}) is after to ({query.get('to')}): no date can be in between")
    for name in FACETS:
        setattr(params, name, [v[:200] for v in query.getlist(name) if v.strip()][:20])
    return params
