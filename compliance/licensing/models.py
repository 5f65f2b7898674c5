"""Licence evidence: what origins publish about their terms, kept as it was seen.

A LicenceCheck is one reading of an origin's (or one item's) signals; its LicenceSnapshots
are what was found, each with where, the raw value, its SHA-256, the HTTP status and the
headers that matter. Both are immutable: a snapshot is evidence, and evidence is never
edited, only added to.
"""

from django.db import models
from django.utils import timezone

from compliance.items.models import Item, Origin


class Immutable(models.Model):
    """Saved once, never changed or deleted (the admin and the API offer neither)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"a {self._meta.verbose_name} is evidence: it is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"a {self._meta.verbose_name} is evidence: it is never deleted")


class Permission(models.TextChoices):
    """What the signals say about republishing, from most to least open."""

    OPEN = "open", "Republication permitted"
    CONDITIONS = "conditions", "Permitted on conditions (attribution, no derivatives…)"
    NONE = "none", "No signal"
    PAYMENT = "payment", "Payment or a licence required"
    RESERVED = "reserved", "Rights reserved, not permitted"


# Lower is narrower: a change to a lower rank withdraws or narrows permission.
PERMISSION_RANK = {
    Permission.OPEN: 4,
    Permission.CONDITIONS: 3,
    Permission.NONE: 2,
    Permission.PAYMENT: 1,
    Permission.RESERVED: 0,
}


class LicenceWatch(models.Model):
    """How and when an origin's signals are read, and what to do when they narrow."""

    class Policy(models.TextChoices):
        FLAG = "flag", "Flag the origin for staff only"
        WITHHOLD_NEW = "withhold_new", "Flag, and withhold its new items (block the origin)"
        HIDE_ALL = "hide_all", "Flag, block the origin and hide everything from it"

    origin = models.OneToOneField(Origin, on_delete=models.CASCADE, related_name="licence_watch")
    policy = models.CharField(
        max_length=16,
        choices=Policy.choices,
        default=Policy.FLAG,
        help_text="What happens when the origin's signals withdraw or narrow permission.",
    )
    interval_hours = models.PositiveIntegerField(default=24)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"licence watch of {self.origin}"


class LicenceCheck(Immutable):
    """One reading of an origin's signals (item null) or of one item's page, and what
    was concluded from it."""

    origin = models.ForeignKey(Origin, on_delete=models.PROTECT, related_name="licence_checks")
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="licence_checks"
    )

    class Reading(models.TextChoices):
        SIGNALS = "signals", "Licensing signals"
        ORIGINAL = "original", "The original's answer (removed-at-origin re-check)"

    reading = models.CharField(max_length=16, choices=Reading.choices, default=Reading.SIGNALS)
    checked_at = models.DateTimeField(default=timezone.now, db_index=True)
    permission = models.CharField(max_length=16, choices=Permission.choices)
    verdict = models.TextField(help_text="The signals, interpreted in words.")
    # What narrowed since the previous check, and where the signals disagree with the
    # basis recorded: "" when nothing did.
    narrowed = models.TextField(blank=True)
    contradiction = models.TextField(blank=True)
    basis_name = models.CharField(max_length=200, blank=True, help_text="The basis in force.")

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["origin", "item", "reading", "-checked_at"])]

    def __str__(self):
        where = f"item {self.item_id}" if self.item_id else str(self.origin)
        return f"{where} on {self.checked_at:%Y-%m-%d %H:%M}: {self.verdict}"


class LicenceSnapshot(Immutable):
    class Kind(models.TextChoices):
        DOCUMENT = "document", "Document fetched (status, headers, hash of the body)"
        ROBOTS_TXT = "robots_txt", "robots.txt"
        CONTENT_SIGNAL = "content_signal", "robots.txt Content-Signal"
        RSL_LICENSE_LINK = "rsl_license_link", "RSL licence named (robots.txt License:, link)"
        RSL_LICENSE = "rsl_license", "RSL licence terms"
        TDMREP_RULE = "tdmrep_rule", "TDMRep rule (tdmrep.json)"
        TDM_RESERVATION = "tdm_reservation", "TDM reservation (header or meta)"
        TDM_POLICY = "tdm_policy", "TDM policy (header or meta)"
        REL_LICENSE = "rel_license", "rel=license link"
        JSONLD_LICENSE = "jsonld_license", "schema.org license"
        JSONLD_COPYRIGHT_NOTICE = "jsonld_copyright_notice", "schema.org copyrightNotice"
        JSONLD_CREDIT_TEXT = "jsonld_credit_text", "schema.org creditText"
        JSONLD_COPYRIGHT_HOLDER = "jsonld_copyright_holder", "schema.org copyrightHolder"
        META_ROBOTS = "meta_robots", "meta robots"
        FEED_RIGHTS = "feed_rights", "Feed rights statement"
        FEED_LICENCE_LINK = "feed_licence_link", "Feed Creative Commons link"
        ARTICLE_STATUS = "article_status", "The original article's answer (re-check)"

    licence_check = models.ForeignKey(
        LicenceCheck, on_delete=models.PROTECT, related_name="snapshots"
    )
    origin = models.ForeignKey(Origin, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    location = models.CharField(max_length=2000, help_text="Where it was found (URL).")
    value = models.TextField(blank=True, help_text="The raw value, as published.")
    sha256 = models.CharField(max_length=64)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["licence_check_id", "location", "kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.location}"


class ArticlePresence(models.Model):
    """The removed-at-origin re-check's bookkeeping for one republished item."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="presence")
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # When it first answered 404/410 in the current run of such answers; null: present.
    missing_since = models.DateTimeField(null=True, blank=True)
    hidden_as_removed = models.BooleanField(default=False)

    def __str__(self):
        return f"presence of item {self.item_id} at its origin"
