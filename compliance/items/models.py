from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.template import TemplateSyntaxError, engines
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.core.normalise import normalise_domain

# The default disclaimer, in the spirit of the notice printed under republished articles.
# Rendered with Django's template language once, when an item is published, then frozen.
DEFAULT_DISCLAIMER_TEMPLATE = (
    "This content is courtesy of, and owned and copyrighted by, {{ origin.name }} "
    "({{ origin.home_page }}) and its author{% if item.author %}, {{ item.author }}{% endif %}. "
    "It is republished here from the public RSS feed offered by the host site "
    "{{ licence.usage_statement }}. "
    "If you are the author or represent the host site and would like this content removed "
    "now and in the future, please write to {{ contact_email }} or use the removal form at "
    "{{ removal_form_url }}."
)


class LicenceBasis(models.Model):
    """Why we may republish an origin's content, with the evidence that shows it."""

    class Kind(models.TextChoices):
        PUBLIC_FEED = "public_feed", "Public feed, educational use"
        CREATIVE_COMMONS = "creative_commons", "Creative Commons licence"
        WRITTEN_PERMISSION = "written_permission", "Written permission"
        SYNDICATION = "syndication", "Syndication agreement"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, help_text="e.g. “CC BY 4.0 (Example Daily)”")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    licence_url = models.URLField(
        max_length=500, blank=True, help_text="For Creative Commons: the licence deed's URL."
    )
    terms = models.TextField(blank=True, help_text="The terms we rely on, in full or summary.")
    evidence_document = models.FileField(upload_to="licence-evidence/%Y/", blank=True)
    evidence_url = models.URLField(max_length=2000, blank=True)
    evidence_note = models.TextField(blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "licence basis"
        verbose_name_plural = "licence bases"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == self.Kind.CREATIVE_COMMONS and not self.licence_url:
            raise ValidationError(
                {"licence_url": "A Creative Commons basis names its licence's URL."}
            )
        if self.valid_from and self.expires_at and self.expires_at <= self.valid_from:
            raise ValidationError({"expires_at": "The basis must expire after it starts."})

    def is_valid_at(self, when) -> bool:
        started = self.valid_from is None or self.valid_from <= when
        return started and (self.expires_at is None or when < self.expires_at)

    @property
    def usage_statement(self) -> str:
        """How the disclaimer says we use the content."""
        if self.kind == self.Kind.PUBLIC_FEED:
            return "and is used for educational purposes only"
        if self.kind == self.Kind.CREATIVE_COMMONS:
            return f"under the {self.name} licence"
        if self.kind == self.Kind.WRITTEN_PERMISSION:
            return "with the written permission of the rights holder"
        if self.kind == self.Kind.SYNDICATION:
            return "under a syndication agreement with the rights holder"
        return f"on this basis: {self.name}"

    def licence_note(self) -> str:
        """The one-line licence note shown with every item under this basis."""
        note = f"Licence: {self.name} ({self.get_kind_display()})"
        return f"{note}, {self.licence_url}" if self.licence_url else note


class Origin(models.Model):
    """A site whose articles are republished."""

    domain = models.CharField(
        max_length=253, unique=True, help_text="Lower case, without “www.”: example.com"
    )
    name = models.CharField(max_length=200)
    home_page = models.URLField(max_length=500)
    contact_emails = models.TextField(
        blank=True,
        help_text="Addresses that speak for the site, one per line. A verified request from "
        "one of them (or from an address at the domain) is approved automatically.",
    )
    licence_basis = models.ForeignKey(
        LicenceBasis,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="origins",
        help_text="The default basis for this origin's items.",
    )
    disclaimer_template = models.TextField(
        blank=True,
        help_text="Django template for the disclaimer under each item; empty uses the default. "
        "Variables: origin, item, licence, contact_email, removal_form_url. Editing it "
        "changes no item already published.",
    )
    canonical_to_original = models.BooleanField(
        default=True, help_text="Item pages carry rel=canonical to the original article."
    )
    noindex = models.BooleanField(
        default=False, help_text="Item pages ask search engines not to index them."
    )
    # Whether it is blocked is not stored here: an origin is blocked while an active block
    # rule of kind "origin" covers its domain (compliance.items.staydown.origin_block).
    # Set by jobs that need a person to look (an expired licence, for instance).
    attention_needed = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        self.domain = normalise_domain(self.domain)
        try:
            # Rendered at every publication: a template that does not compile would stop
            # ingest from publishing anything of this origin.
            engines["django"].from_string(self.disclaimer_template)
        except TemplateSyntaxError as exc:
            raise ValidationError(
                {"disclaimer_template": f"This template does not compile: {exc}"}
            ) from None
        for address in self.contact_email_list:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"contact_emails": f"“{address}” is not an email address."}
                ) from None

    @property
    def contact_email_list(self) -> list[str]:
        return [line.strip().lower() for line in self.contact_emails.splitlines() if line.strip()]


class FeedQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(is_active=True).filter(
            Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now)
        )


class Feed(models.Model):
    """An origin's RSS or Atom feed, fetched politely on its own schedule."""

    class Outcome(models.TextChoices):
        OK = "ok", "Fetched"
        NOT_MODIFIED = "not_modified", "Not modified (304)"
        ERROR = "error", "Error"
        RATE_LIMITED = "rate_limited", "Rate limited (429)"
        GONE = "gone", "Gone (410), paused"

    origin = models.ForeignKey(Origin, on_delete=models.CASCADE, related_name="feeds")
    url = models.CharField(max_length=2000, unique=True, help_text="http(s) URL of the feed.")
    title = models.CharField(max_length=500, blank=True)
    is_active = models.BooleanField(default=True)
    poll_interval_minutes = models.PositiveIntegerField(default=settings.FEED_DEFAULT_POLL_MINUTES)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    # When the feed may be fetched again (interval, back-off or Retry-After); null: now.
    next_fetch_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["origin__name", "url"]

    def __str__(self):
        return self.title or self.url


class ItemQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Item.Status.PUBLISHED)


class Item(models.Model):
    """A republished article, with what readers were shown frozen at publication."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HIDDEN = "hidden", "Hidden (taken down)"
        WITHHELD = "withheld", "Withheld (never published)"

    origin = models.ForeignKey(Origin, on_delete=models.PROTECT, related_name="items")
    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    guid = models.CharField(max_length=1000)
    original_url = models.CharField(max_length=2000)
    # The original's own site when it is not the origin's: an aggregator's feed carrying
    # another site's article. That site's rules apply to it too. Blank for most items (the
    # origin's domain says it), which keeps its index small.
    article_host = models.CharField(max_length=253, blank=True)
    # sha256 of the normalised original URL: deduplication, takedown targets, stay-down.
    url_key = models.CharField(max_length=64, db_index=True)
    slug = models.SlugField(max_length=255, unique=True)
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True)
    author_key = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True, help_text="Sanitised HTML.")
    # sha256 of the normalised text: the same article under a new guid and URL.
    text_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    image_url = models.CharField(max_length=2000, blank=True)
    photo_credit = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When the origin published it."
    )
    ingested_at = models.DateTimeField(default=timezone.now)
    republished_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When we published it."
    )
    licence_basis = models.ForeignKey(
        LicenceBasis,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
        help_text="The basis in force for this item (the origin's default unless overridden).",
    )
    # What the feed itself said about rights: licence evidence.
    rights_statement = models.TextField(blank=True)
    rights_licence_url = models.CharField(max_length=500, blank=True)
    # Frozen when published: exactly what readers were shown, and its SHA-256.
    licence_note = models.TextField(blank=True)
    licence_note_sha256 = models.CharField(max_length=64, blank=True)
    disclaimer = models.TextField(blank=True)
    disclaimer_sha256 = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_reason = models.TextField(blank=True)
    # What caused the current status: the case (a removal request's reference) and the
    # block rule, if any.
    status_case = models.CharField(max_length=20, blank=True, db_index=True)
    status_rule = models.ForeignKey(
        "BlockRule", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["-republished_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "guid"], name="item_unique_guid_per_origin"),
            # The public lists sort by it (selectors.NEWEST_FIRST) with no NULLS LAST.
            models.CheckConstraint(
                condition=~models.Q(status="published") | models.Q(republished_at__isnull=False),
                name="item_published_has_republished_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-republished_at"]),
            # Home, feed and API pages: newest published first, read straight off the index.
            models.Index(
                fields=["-republished_at", "-id"],
                condition=models.Q(status="published"),
                name="item_published_newest",
            ),
            models.Index(fields=["origin", "author_key"]),
            models.Index(
                fields=["article_host"],
                condition=~models.Q(article_host=""),
                name="item_article_host",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/items/{self.slug}/"

    @property
    def public_url(self) -> str:
        return f"{settings.SITE_URL}{self.get_absolute_url()}"

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.PUBLISHED


class BlockRuleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class BlockRule(models.Model):
    """Keeps content down "in the future": every candidate article (a new or edited entry,
    a check through the API) is matched against the active rules by
    compliance.items.staydown, the one place that says what a rule covers.

    Made by the takedown job from a request "in the future" (its case), or by staff (an
    origin block). Never deleted: items it withheld keep pointing at it.
    """

    class Kind(models.TextChoices):
        URL = "url", _("Original URL (and its text)")
        AUTHOR = "author", _("Author at origin")
        ORIGIN = "origin", _("Whole origin")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # None only for a URL rule on a site we do not (yet) republish: a URL named in a request
    # that matched none of our items must still be kept from arriving later.
    origin = models.ForeignKey(
        Origin,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="block_rules",
    )
    # Normalised domain of the rule's site; what it covers there is staydown's to say.
    domain = models.CharField(max_length=253)
    url = models.CharField(max_length=2000, blank=True, help_text="Normalised original URL.")
    url_key = models.CharField(max_length=64, blank=True, db_index=True)
    # The guid the origin's feed gave the article: the same article under a new address.
    guid = models.CharField(max_length=1000, blank=True, db_index=True)
    text_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    author = models.CharField(max_length=300, blank=True)
    author_key = models.CharField(max_length=300, blank=True)
    # The removal request that asked for it (its reference), "" for a staff rule.
    case = models.CharField(max_length=20, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = BlockRuleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Author rules are found by (domain, kind, author_key), origin rules by (domain, kind):
        # one index serves both, however many URL rules share the domain.
        indexes = [models.Index(fields=["domain", "kind", "author_key"])]
        constraints = [
            # A request's rules are made by a job that may run twice or concurrently: the
            # database keeps one rule per thing the request blocks.
            models.UniqueConstraint(
                fields=["case", "kind", "domain", "url_key", "text_fingerprint", "author_key"],
                condition=~models.Q(case=""),
                name="blockrule_unique_per_case",
            )
        ]

    def __str__(self):
        if self.kind == self.Kind.URL:
            return f"URL {self.url}"
        if self.kind == self.Kind.AUTHOR:
            return f"Author “{self.author}” at {self.domain}"
        return f"Origin {self.domain}"
