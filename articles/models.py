"""The archive's domain: outlets, people and their credits, a curator-owned stance scheme, articles.

Every extracted or curated value on an Article records where it came from (`field_sources`), so a
re-ingest refreshes what the text says without overwriting what a curator decided.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.text import slugify

from articles.extraction.types import DAY, MONTH, UNKNOWN, YEAR, PartialDate

# Where a value came from.
FROM_TEXT = "text"  # read off the ingested file by the extractor
FROM_METADATA_FILE = "metadata file"  # fixtures/curated.json, kept with the repository
FROM_CURATOR = "curator"  # edited in the admin; never overwritten by ingest


class SlugFromNameMixin:
    """Fill an empty slug from the name, unique within the model, when first saved."""

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(type(self), self.name)
        super().save(*args, **kwargs)


class Source(SlugFromNameMixin, models.Model):
    """An outlet: a news site, an opinion section, a blog, a volunteer community..."""

    class Kind(models.TextChoices):
        NEWS_SITE = "news", "News site"
        OPINION = "opinion", "Opinion section"
        BLOG = "blog", "Blog"
        COMMUNITY = "community", "Volunteer intelligence community"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    homepage = models.URLField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEWS_SITE)
    country = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=20, blank=True, help_text="BCP 47 code, e.g. en, ru")
    description = models.TextField(blank=True, help_text="Shown beside its articles.")
    notes = models.TextField(blank=True, help_text="Curators' notes; not shown publicly.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:outlet", args=[self.slug])


class Person(SlugFromNameMixin, models.Model):
    """Someone credited on an article (author, translator, editor...)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:author", args=[self.slug])


class StanceCategory(SlugFromNameMixin, models.Model):
    """One category of the curators' stance coding scheme."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(help_text="What an article must do to be coded this way.")
    position = models.PositiveIntegerField(default=0, help_text="Order in lists and facets.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "stance categories"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("articles:stance", args=[self.slug])


class Tag(models.Model):
    """A tag or section the page itself lists."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet):
    def for_listing(self):
        """What every list, page and index needs, in a fixed number of queries."""
        return self.select_related("source", "stance").prefetch_related(
            models.Prefetch("credits", queryset=Credit.objects.select_related("person")),
            "tags",
        )

    def by_date(self, newest_first: bool = True):
        """Newest (or oldest) first; undated articles always last."""
        date, time = models.F("published_date"), models.F("published_time")
        if newest_first:
            return self.order_by(date.desc(nulls_last=True), time.desc(nulls_last=True), "title", "id")
        return self.order_by(date.asc(nulls_last=True), time.asc(nulls_last=True), "title", "id")


class Article(models.Model):
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
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("articles:detail", args=[self.pk])

    # --- derived views of the data -------------------------------------------------------------
    @property
    def partial_date(self) -> PartialDate:
        return stored_partial_date(self.published_date, self.date_precision)

    @property
    def published_iso(self) -> str | None:
        return self.partial_date.iso()

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
    def year(self) -> int | None:
        return self.partial_date.year

    def credited(self, role: str) -> list[Person]:
        return [c.person for c in self.credits.all() if c.role == role]

    @property
    def authors(self) -> list[Person]:
        return self.credited(Credit.Role.AUTHOR)

    @property
    def author_names(self) -> list[str]:
        return [p.name for p in self.authors]

    @property
    def other_credits(self) -> list[Credit]:
        return [c for c in self.credits.all() if c.role != Credit.Role.AUTHOR]

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags.all()]


class Credit(models.Model):
    """A person's role on an article, in the order the text names them."""

    class Role(models.TextChoices):
        AUTHOR = "author", "Author"
        TRANSLATOR = "translator", "Translator"
        EDITOR = "editor", "Editor"
        PHOTOGRAPHER = "photographer", "Photographer"
        OTHER = "other", "Other"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="credits")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AUTHOR)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["article", "person", "role"], name="unique_credit_per_role")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"


def stored_partial_date(d, precision: str) -> PartialDate:
    """The date as known, from the stored first day of its span and its precision."""
    if d is None or precision == UNKNOWN:
        return PartialDate()
    if precision == YEAR:
        return PartialDate(d.year)
    if precision == MONTH:
        return PartialDate(d.year, d.month)
    return PartialDate(d.year, d.month, d.day)


def unique_slug(model: type[models.Model], text: str) -> str:
    base = slugify(text, allow_unicode=False)[:180] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
