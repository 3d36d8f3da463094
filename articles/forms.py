"""The search parameters of a query string, read and checked by one Django form.

Pages, the API, exports, the export command and the analysis tools all read a search through
`parse_params`: anything malformed raises BadParameter with a message fit for the reader, and the caller
searches nothing (a count of something else would mislead).
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from articles.extraction.dates import partial_date
from articles.query_bounds import MAX_QUERY_LENGTH, BadParameter
from articles.search import FACETS, MAX_PAGE_SIZE, SORTS, SPELLINGS, SearchParams

__all__ = ["BadParameter", "parse_params"]


class TextField(forms.Field):
    """Free text, cut to `limit` characters, never refused (the query parser decides what it can read)."""

    def __init__(self, limit: int, **kwargs):
        super().__init__(required=False, **kwargs)
        self.limit = limit

    def to_python(self, value) -> str:
        return (value or "")[: self.limit]


class ValuesField(forms.Field):
    """A repeatable filter (`outlet=A&outlet=B`: any of them): blanks dropped, at most 20 values of 200 characters."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> list[str]:
        return [v[:200] for v in value or [] if v.strip()][:20]


class WholeNumberField(forms.Field):
    def __init__(self, default: int, low: int | None = None, high: int | None = None, **kwargs):
        super().__init__(required=False, **kwargs)
        self.default, self.low, self.high = default, low, high

    def to_python(self, value) -> int:
        if value in (None, ""):
            return self.default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError(f"must be a whole number, not {value[:40]!r}") from None
        if self.low is not None and not self.low <= number <= self.high:
            raise ValidationError(f"must be between {self.low} and {self.high}")
        return number


class ChoiceField(forms.Field):
    def __init__(self, choices: tuple[str, ...], **kwargs):
        super().__init__(required=False, **kwargs)
        self.choices = choices

    def to_python(self, value) -> str:
        if value and value not in self.choices:
            raise ValidationError(f"must be one of {', '.join(self.choices)}")
        return value or ""


class PartialDateField(forms.Field):
    """2022, 2022-01 or 2022-01-06 as the first day of that span, or with `end` its last day."""

    def __init__(self, end: bool = False, **kwargs):
        super().__init__(required=False, **kwargs)
        self.end = end

    def to_python(self, value):
        if not value:
            return None
        try:
            parts = [int(p) for p in value.strip().split("-")]
            # The calendar checks every part (2022-00 and 2022-13 are no month); engines format years as %Y,
            # unpadded before 1000.
            date = partial_date(*parts) if len(parts) <= 3 and 1000 <= parts[0] <= 9999 else None
        except (ValueError, OverflowError):
            date = None
        if date is None:
            raise ValidationError(f"must be a date like 2022, 2022-01 or 2022-01-06, not {value[:40]!r}")
        return date.end_date() if self.end else date.as_date()


class SearchForm(forms.Form):
    """Fields are checked in this order; the first malformed one is reported."""

    sort = ChoiceField(SORTS)
    # variants (default): names also match other spellings and aliases; exact: as written (issue 13).
    spelling = ChoiceField(SPELLINGS)
    page_size = WholeNumberField(20, 1, MAX_PAGE_SIZE)
    page = WholeNumberField(1)
    # `from` and `to` are Python keywords: added to base_fields below.
    # One character more than a search takes, so the search sees the cut and says so (query_bounds).
    q = TextField(MAX_QUERY_LENGTH + 1)

    def clean(self):
        data = super().clean()
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            # Not an empty answer but a mistake: say so rather than report "0 articles".
            raise ValidationError(
                f"from ({self.data.get('from')}) is after to ({self.data.get('to')}): no date can be in between"
            )
        return data

    def error_message(self) -> str:
        for name, errors in self.errors.items():
            return errors[0] if name == NON_FIELD_ERRORS else f"{name} {errors[0]}"
        return ""

    def search_params(self) -> SearchParams:
        """The checked parameters; BadParameter with the first error's message when one is malformed."""
        if not self.is_valid():
            raise BadParameter(self.error_message())
        data = self.cleaned_data
        params = SearchParams(
            q=data["q"],
            sort=data["sort"],
            spelling=data["spelling"] or "variants",
            page=data["page"],
            page_size=data["page_size"],
            date_from=data["from"],
            date_to=data["to"],
        )
        for name in FACETS:
            setattr(params, name, data[name])
        return params


SearchForm.base_fields = {
    **{name: field for name, field in SearchForm.base_fields.items() if name != "q"},
    "from": PartialDateField(),
    "to": PartialDateField(end=True),
    "q": SearchForm.base_fields["q"],
    **{name: ValuesField() for name in FACETS},
}


def parse_params(query) -> SearchParams:
    """A query string's search (a QueryDict or a dict of lists); BadParameter on anything malformed."""
    return SearchForm(query).search_params()
