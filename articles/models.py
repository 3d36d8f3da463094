"""The archive's domain: outlets, people and their credits, a curator-owned stance scheme, articles.

Every extracted or curated value on an Article records where it came from (`field_sources`), so a
re-ingest refreshes what the text says without overwriting what a curator decided.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from articles.extraction.types import BLOCK_KINDS, DAY, MONTH, PARAGRAPH, UNKNOWN, YEAR
from articles.extraction.zones import format_offset
from articles.model_parts import SlugFromNameMixin, StoredDateMixin

# The facet and filter value for "not known": an article with no outlet, no author, no stance or no
# date is counted and filtered under it (`?outlet=(unknown)`). No outlet, person or stance category
# may be named this, so it can never be confused with a real name.
UNKNOWN_VALUE = "(unknown)"


def is_reserved_name(name: str) -> bool:
    return name.strip().casefold() == UNKNOWN_VALUE


def validate_not_reserved(name: str) -> None:
    if is_reserved_name(name):
        raise ValidationError(f"“{UNKNOWN_VALUE}” is reserved: filters use it for articles where this is not known.")


class Source(SlugFromNameMixin):
    """An outlet: a news site, an opinion section, a blog, a volunteer community..."""

    url_name = "articles:outlet"

    class Kind(models.TextChoices):
        NEWS_SITE = "news", "News site"
        OPINION = "opinion", "Opinion section"
        BLOG = "blog", "Blog"
        COMMUNITY = "community", "Volunteer intelligence community"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True, validators=[validate_not_reserved])
    slug = models.SlugField(max_length=200, unique=True)
    homepage = models.URLField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS_SITE)
    country = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=20, blank=True, help_text="BCP 47 code, e.g. en, ru")
    description = models.TextField(blank=True, help_text="Shown beside its articles.")
    notes = models.TextField(blank=True, help_text="Curators' notes; not shown publicly.")

    class Meta:
        ordering = ["name"]


class Person(SlugFromNameMixin):
    """Someone credited on an article (author, translator, editor...)."""

    url_name = "articles:person"

    name = models.CharField(max_length=200, unique=True, validators=[validate_not_reserved])
    slug = models.SlugField(max_length=200, unique=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"


class StanceCategory(SlugFromNameMixin):
    """One category of the curators' stance coding scheme."""

    url_name = "articles:stance"

    name = models.CharField(max_length=120, unique=True, validators=[validate_not_reserved])
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(help_text="What an article must do to be coded this way.")
    position = models.PositiveIntegerField(default=0, help_text="Order in lists and facets.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "stance categories"


class Tag(models.Model):
    """A tag or section the page itself lists."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet):
    def for_listing(self, *, tags: bool = True):
        """What every list, page and index needs, in a fixed number of queries (without `tags`, one fewer:
        a page of search results shows none).

        Credits and tags come as plain lists (`credit_list`, `tag_names`): Django builds a queryset per
        article for a prefetch kept on the manager, most of the time of loading a page of results."""
        credits = Credit.objects.select_related("person")
        listed = [models.Prefetch("credits", queryset=credits, to_attr="listed_credits")]
        if tags:
            listed.append(models.Prefetch("tags", to_attr="listed_tags"))
        return self.select_related("source", "stance").prefetch_related(*listed)

    def by_date(self, newest_first: bool = True):
        """Newest (or oldest) first; undated articles always last."""
        date, time = models.F("published_date"), models.F("published_time")
        if newest_first:
            return self.order_by(date.desc(nulls_last=True), time.desc(nulls_last=True), "title", "id")
        return self.order_by(date.asc(nulls_last=True), time.asc(nulls_last=True), "title", "id")


class Article(StoredDateMixin, models.Model):
    class Precision(models.TextChoices):
        DAY = DAY, "Day"
        MONTH = MONTH, "Month"
        YEAR = YEAR, "Year"
        UNKNOWN = UNKNOWN, "Unknown"

    title = models.CharField(max_length=500)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT, related_name="articles")
    people = models.ManyToManyField(Person, through="Credit", related_name="articles", blank=True)
    published_date = models.DateField(
        null=True, blank=True, help_text="First day of the known span; read together with its precision."
    )
    date_precision = models.CharField(max_length=10, choices=Precision.choices, default=Precision.UNKNOWN)
    published_time = models.TimeField(null=True, blank=True, help_text="Local time the page states, if any.")
    published_utc_offset = models.SmallIntegerField(
        null=True,
        blank=True,
        verbose_name="UTC offset of the time (minutes)",
        help_text="Minutes east of UTC, only where the source states its offset or zone (180 for Moscow time).",
    )
    published_time_zone = models.CharField(
        max_length=60,
        blank=True,
        help_text="The zone as the source names it (e.g. 'Moscow time'); blank if it names none.",
    )
    date_note = models.CharField(max_length=500, blank=True, help_text="How the date was established.")
    stance = models.ForeignKey(
        StanceCategory, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    stance_rationale = models.CharField(max_length=500, blank=True)
    url = models.URLField(max_length=1000, blank=True, verbose_name="original URL")
    language = models.CharField(max_length=20, blank=True)
    description = models.TextField(blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    body = models.TextField(help_text="The clean article text; paragraphs separated by a blank line.")
    block_kinds = models.JSONField(
        default=list,
        blank=True,
        help_text="Kind of each block of the body, in order: p, h (heading), li / oli (bulleted / numbered "
        "list item). Empty: all paragraphs. Cleared when an edit changes the number of blocks.",
    )
    references = models.JSONField(default=list, blank=True, help_text="Footnotes/sources the text lists.")
    word_count = models.PositiveIntegerField(default=0)

    # Provenance: the file exactly as it arrived.
    source_file = models.CharField(max_length=500, unique=True, help_text="File name as ingested.")
    raw_bytes = models.BinaryField(help_text="The original file, byte for byte.")
    raw_text = models.TextField(help_text="The original file decoded to text, verbatim.")
    raw_encoding = models.CharField(max_length=40, default="utf-8")
    sha256 = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the original bytes.")
    extractor = models.CharField(max_length=40, blank=True, help_text="Which extractor read the file.")
    ingest_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of file + extractor version + curated entry; unchanged means skip."
    )
    field_sources = models.JSONField(default=dict, blank=True, help_text="field -> text / metadata file / curator")
    ingested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_date", "title"]
        indexes = [models.Index(fields=["published_date", "date_precision"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.word_count = len(self.body.split())
        if self.block_kinds and len(self.block_kinds) != len(self.paragraphs):
            # The body was edited into a different number of blocks: which one was a heading is no
            # longer known, and a wrong heading is worse than none.
            self.block_kinds = []
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", args=[self.pk])

    # --- derived views of the data -------------------------------------------------------------
    @property
    def published_display(self) -> str:
        """The date as precisely as it is known: "6 January 2022", "January 2022", "2022", "date unknown"."""
        p = self.partial_date
        if p.precision == UNKNOWN:
            return "date unknown"
        d = p.as_date()
        if p.precision == YEAR:
            return f"{d.year}"
        if p.precision == MONTH:
            return d.strftime("%B %Y")
        return f"{d.day} {d.strftime('%B %Y')}"

    @property
    def published_at(self) -> str | None:
        """ISO 8601 date and time with the stated offset ("2022-01-06T13:15+03:00"); without an offset
        when the source states none ("2022-01-06T14:32"); None without a time of day."""
        if self.published_time is None or self.date_precision != DAY or self.published_date is None:
            return None
        t = self.published_time
        clock = t.strftime("%H:%M:%S" if t.second else "%H:%M")
        offset = "" if self.published_utc_offset is None else format_offset(self.published_utc_offset, iso=True)
        return f"{self.published_date.isoformat()}T{clock}{offset}"

    @property
    def published_time_display(self) -> str:
        """ "13:15 Moscow time (UTC+03:00)", "14:32 UTC+06:00", "13:15 (time zone not stated)"; "" without a time."""
        if self.published_at is None:
            return ""
        clock = self.published_time.strftime("%H:%M")
        offset = None if self.published_utc_offset is None else format_offset(self.published_utc_offset)
        zone = self.published_time_zone
        if zone and offset and zone != offset:
            return f"{clock} {zone} ({offset})"
        if zone or offset:
            return f"{clock} {zone or offset}"
        return f"{clock} (time zone not stated)"

    @property
    def year(self) -> int | None:
        return self.partial_date.year

    @property
    def credit_list(self) -> list[Credit]:
        """The credits in order: `for_listing`'s list when the article came from it, else a query."""
        listed = self.__dict__.get("listed_credits")
        return listed if listed is not None else list(self.credits.select_related("person"))

    def credited(self, role: str) -> list[Person]:
        return [c.person for c in self.credit_list if c.role == role]

    @property
    def authors(self) -> list[Person]:
        return self.credited(Credit.Role.AUTHOR)

    @property
    def author_names(self) -> list[str]:
        return [p.name for p in self.authors]

    @property
    def other_credits(self) -> list[Credit]:
        return [c for c in self.credit_list if c.role != Credit.Role.AUTHOR]

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]

    @property
    def blocks(self) -> list[tuple[str, str]]:
        """(kind, text) for every block of the body; all paragraphs when no kinds are recorded."""
        paragraphs = self.paragraphs
        kinds = self.block_kinds if len(self.block_kinds or []) == len(paragraphs) else []
        kinds = [k if k in BLOCK_KINDS else PARAGRAPH for k in kinds] or [PARAGRAPH] * len(paragraphs)
        return list(zip(kinds, paragraphs, strict=True))

    @property
    def tag_names(self) -> list[str]:
        listed = self.__dict__.get("listed_tags")
        return [t.name for t in (listed if listed is not None else self.tags.all())]


class Credit(models.Model):
    """A person's role on an article, in the order the text names them."""

    class Role(models.TextChoices):  # labels from the names: "Author"...
        AUTHOR = "author"
        TRANSLATOR = "translator"
        EDITOR = "editor"
        PHOTOGRAPHER = "photographer"
        OTHER = "other"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credits")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AUTHOR)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "person", "role"], name="unique_credit_per_role")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


class PendingIndexUpdate(models.Model):
    """An article whose index entry must be brought in step with the database (a transactional outbox).

    Written in the same transaction as the change (articles/signals.py), so a committed change always
    leaves either an up-to-date index entry or a row here; deleted only once the index write succeeded
    (articles/indexing/outbox.py). Not a foreign key: a deleted article's row must outlive it.
    """

    article_id = models.BigIntegerField(db_index=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "pending index update"

    def __str__(self) -> str:
        return f"article {self.article_id}"


class LoginAttempts(models.Model):
    """Password checks for one username from one address (articles/lockout.py). One row per pair, changed
    only by conditional UPDATEs, so concurrent logins in any number of processes never check more
    passwords than the limit (a cache's read-modify-write let 16 simultaneous attempts make 6)."""

    key = models.CharField(max_length=64, primary_key=True)  # sha256 of username and address: no names in clear
    checks = models.PositiveIntegerField(default=0)  # password checks claimed in this window
    window_start = models.FloatField()  # Unix time
    locked_until = models.FloatField(default=0)  # Unix time; 0: not locked

    class Meta:
        verbose_name_plural = "login attempts"

    def __str__(self) -> str:
        return f"{self.checks} checks since {self.window_start:.0f}"


# The entity (alias) table and mentions live in articles/names/ but belong to this app.
from articles.names.models import ArticleMention, Entity, EntityVariant  # noqa: E402, F401


class CatalogLoad(models.Model):
    """What ingest's catalog step (Curated.ensure_catalog: stances, outlets, the entity table) last applied,
    as a sha256 of its inputs. A run whose inputs match skips the step, which otherwise reads the entity file
    and queries every entry on each call (one-by-one ingest pays it per file). Any save or delete of a
    stance, outlet, entity or variant outside the step removes the row (articles/catalog_state.py), so the
    next run applies the files again exactly as it would have without the shortcut."""

    key = models.CharField(max_length=16, primary_key=True)
    fingerprint = models.CharField(max_length=64)
    loaded = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.key} {self.fingerprint[:12]}"
