from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.models import AuditEvent
from compliance.items.models import BlockRule, Origin
from compliance.messaging.models import Message

OPEN_STATUSES = ("received", "verified", "approved", "processing")


class RemovalRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None):
        return self.open().filter(due_at__lt=now or timezone.now())


class RemovalRequest(models.Model):
    """A takedown notice: who asks, for what, on what ground, and where it stands.

    `status` changes only through compliance.takedowns.state (the state machine).
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("Email")
        API = "api", _("API")
        STAFF = "staff", _("Staff")

    class Role(models.TextChoices):
        AUTHOR = "author", _("Author")
        RIGHTS_HOLDER = "rights_holder", _("Rights holder or site representative")
        AGENT = "agent", _("Authorised agent")
        OTHER = "other", _("Other")

    class Scope(models.TextChoices):
        ITEMS = "items", _("The listed items")
        AUTHOR = "author", _("Everything by this author at this origin")
        ORIGIN = "origin", _("The whole origin")

    class Ground(models.TextChoices):
        COPYRIGHT = "copyright", _("Copyright")
        LICENCE_WITHDRAWN = "licence_withdrawn", _("Licence withdrawn")
        PRIVACY = "privacy", _("Privacy")
        DEFAMATION = "defamation", _("Defamation")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        APPROVED = "approved", _("Approved")
        PROCESSING = "processing", _("Processing")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REVERSED = "reversed", _("Reversed")

    reference = models.CharField(max_length=20, unique=True, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    requester_name = models.CharField(max_length=200, blank=True)
    requester_email = models.EmailField(max_length=254)
    organisation = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    urls = models.JSONField(default=list, blank=True, help_text="The URLs concerned, as given.")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.ITEMS)
    future = models.BooleanField("now and in the future", default=False)
    ground = models.CharField(max_length=20, choices=Ground.choices, blank=True)
    explanation = models.TextField(blank=True)
    good_faith = models.BooleanField(default=False)
    accuracy = models.BooleanField(default=False)
    signature = models.CharField(max_length=200, blank=True)
    # The language the request was made in (a LANGUAGES code; blank: the default): every
    # mail to the requester is written in it.
    language = models.CharField(max_length=8, blank=True, default="")
    # The origin the request concerns, once its URLs are resolved.
    origin = models.ForeignKey(
        "items.Origin",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="removal_requests",
    )

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_removal_requests",
    )
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_automatically = models.BooleanField(default=False)
    decision_reason = models.TextField(blank=True)
    # When the takedown job last started (or was re-queued) on it: a request still in
    # `processing` long after this is stuck, and the sweep queues it again.
    processing_started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A job could not finish (retries exhausted, self-check failed): a person must look.
    attention_needed = models.TextField(blank=True)
    # Secret for the requester's status page; the verification link is signed separately.
    status_token = models.CharField(max_length=64, unique=True)
    # Keyed hash of the submitting client's address: rate limiting without keeping the IP.
    client_key = models.CharField(max_length=64, blank=True, db_index=True)
    staff_notes = models.TextField(blank=True, help_text="Never shown to the requester.")
    # What /transparency/ may show of the explanation, if staff publish a redacted version.
    public_explanation = models.TextField(blank=True)
    # Abuse (DSA Art. 23): a rejection staff judged manifestly unfounded counts towards the
    # sender's warning and suspension (compliance.takedowns.abuse).
    manifestly_unfounded = models.BooleanField(default=False)
    # Sent by a trusted flagger (DSA Art. 22): a shorter deadline, the top of the queue.
    trusted_flagger = models.ForeignKey(
        "takedowns.TrustedFlagger",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="removal_requests",
    )

    objects = RemovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]
        permissions = [("decide_removalrequest", "Can approve or reject removal requests")]

    def __str__(self):
        return self.reference or f"request #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # Below takedowns a request is its reference (its case): these are its records there.
    @property
    def messages(self):
        """Its thread: every mail in and out."""
        return (
            Message.objects.filter(case=self.reference)
            if self.reference
            else Message.objects.none()
        )

    @property
    def audit_events(self):
        return (
            AuditEvent.objects.filter(case=self.reference)
            if self.reference
            else AuditEvent.objects.none()
        )

    @property
    def block_rules(self):
        """The rules its takedown made ("now and in the future")."""
        return (
            BlockRule.objects.filter(case=self.reference)
            if self.reference
            else BlockRule.objects.none()
        )

    @property
    def is_about_a_person(self) -> bool:
        """Privacy and defamation requests: even a removed article's title may name the
        person it is about, so public records show no titles for them."""
        return self.ground in (self.Ground.PRIVACY, self.Ground.DEFAMATION)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()


class RemovalTarget(models.Model):
    """One URL named in a request and the item it resolves to (none: kept for staff)."""

    request = models.ForeignKey(RemovalRequest, on_delete=models.CASCADE, related_name="targets")
    url = models.CharField(max_length=2000)
    url_key = models.CharField(max_length=64, blank=True, db_index=True)
    item = models.ForeignKey(
        "items.Item",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="removal_targets",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url


class ReasonTemplate(models.Model):
    """A ready-made reason for rejecting a request; staff edit the text before it is sent."""

    title = models.CharField(max_length=200, unique=True)
    text = models.TextField(help_text="Mailed to the requester as the reason for the decision.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title


class CounterNoticeQuerySet(models.QuerySet):
    def pending(self):
        """Counter-notices whose restoration is still to happen (not done, not cancelled)."""
        return self.filter(restored_at__isnull=True, cancelled_at__isnull=True)

    def due(self, now=None):
        return self.pending().filter(restore_at__lte=now or timezone.now())


class CounterNotice(models.Model):
    """A dispute of a completed takedown by the person whose content was removed, with the
    elements of a DMCA 512(g)(3) counter-notification. Forwarded to the requester, it
    schedules the content's restoration 10 business days after the forward was sent,
    unless staff record that the requester filed legal action first."""

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.PROTECT, related_name="counter_notices"
    )
    name = models.CharField(max_length=200)
    address = models.TextField(help_text="Postal address.")
    phone = models.CharField(max_length=50)
    email = models.EmailField(max_length=254)
    explanation = models.TextField(
        blank=True, help_text="Why they believe the removal was a mistake, in their words."
    )
    mistake_statement = models.BooleanField(
        "statement under penalty of perjury",
        default=False,
        help_text="A good-faith belief, under penalty of perjury, that the material was "
        "removed as a result of mistake or misidentification.",
    )
    jurisdiction_consent = models.BooleanField(
        "consent to jurisdiction",
        default=False,
        help_text="Consent to the jurisdiction of the competent court, and acceptance of "
        "service of process from the person who made the removal request.",
    )
    signature = models.CharField(max_length=200, help_text="Their full name, as signed.")
    received_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The mail that forwards it to the requester: the clock starts when it was sent.
    forward_message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    forwarded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the forwarding mail was sent."
    )
    # Earliest restoration; moved later once the forwarding mail is known to be sent.
    restore_at = models.DateTimeField(null=True, blank=True, db_index=True)
    legal_action_filed_at = models.DateTimeField(null=True, blank=True)
    legal_action_note = models.TextField(blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = CounterNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            # One pending counter-notice per request: one restoration clock.
            models.UniqueConstraint(
                fields=["request"],
                condition=models.Q(restored_at__isnull=True, cancelled_at__isnull=True),
                name="counternotice_one_pending_per_request",
            )
        ]

    def __str__(self):
        return f"Counter-notice by {self.name} on {self.request}"

    @property
    def is_pending(self) -> bool:
        return self.restored_at is None and self.cancelled_at is None


class OriginOptOut(models.Model):
    """An origin's own opt-out, proven by publishing a token: in DNS (a TXT record at
    `_courtesy.<domain>`) or on the site (/.well-known/courtesy-optout.txt). Once verified
    it opens a whole-origin, now-and-future removal request (`case`)."""

    origin = models.ForeignKey(Origin, on_delete=models.PROTECT, related_name="opt_outs")
    requester_name = models.CharField(max_length=200)
    requester_email = models.EmailField()
    # What the origin publishes (public once published) and the secret of the page where
    # the representative asks for verification (never published).
    token = models.CharField(max_length=64, unique=True)
    page_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.CharField(max_length=200, blank=True, help_text="Where it was found.")
    case = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "origin opt-out"

    def __str__(self):
        return f"opt-out of {self.origin.domain} by {self.requester_email}"

    @property
    def published_value(self) -> str:
        return f"courtesy-optout={self.token}"


class SelfCheckProgress(models.Model):
    """How far a takedown's self-check got at one place (our site, or an edge cache):
    stored as it goes, so a job killed half-way resumes instead of starting again.
    Removed when the check is over (its result is in the audit trail)."""

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.CASCADE, related_name="self_check_progress"
    )
    where = models.CharField(max_length=100)
    done = models.PositiveIntegerField(default=0)  # pages of the (sorted) list checked
    failures = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "where"], name="self_check_progress_once")
        ]

    def __str__(self):
        return f"self-check of {self.request} at {self.where}: {self.done} page(s)"


class TrustedFlagger(models.Model):
    """An organisation whose notices officers trust (DSA Art. 22): its requests get the
    shorter deadline TRUSTED_FLAGGER_TIME_LIMIT_HOURS and go to the top of the queue."""

    organisation = models.CharField(max_length=200, unique=True)
    addresses = models.TextField(
        blank=True, help_text="Addresses it sends notices from, one per line."
    )
    domains = models.TextField(
        blank=True,
        help_text="Mail domains whose every address speaks for it, one per line "
        "(subdomains included).",
    )
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True, help_text="Why it is trusted; never shown publicly.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["organisation"]

    def __str__(self):
        return self.organisation

    @property
    def address_list(self) -> list[str]:
        return [line.strip().lower() for line in self.addresses.splitlines() if line.strip()]

    @property
    def domain_list(self) -> list[str]:
        return [
            line.strip().lower().lstrip("@").removeprefix("www.")
            for line in self.domains.splitlines()
            if line.strip()
        ]


class SenderMeasureQuerySet(models.QuerySet):
    def in_force(self, now=None):
        """Neither lifted nor over."""
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True, ends_at__gt=now)


class SenderMeasure(models.Model):
    """A warning or a suspension of a sender who filed manifestly unfounded notices (DSA
    Art. 23). `sender` is an address (it has an "@") or a mail domain. Issued and lifted
    only by compliance.takedowns.abuse, each audited."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension from filing"

    sender = models.CharField(max_length=254, db_index=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(blank=True)
    # The rejection that led to it.
    case = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    # A suspension ends here; a warning counts until here (the end of the abuse window).
    ends_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    objects = SenderMeasureQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.sender}"

    @property
    def is_domain(self) -> bool:
        return "@" not in self.sender

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None and self.ends_at > timezone.now()


def evidence_storage():
    """Evidence files live in EVIDENCE_ROOT (var/evidence/), outside the static and media
    roots: no URL serves them; staff read them through a permission-checked admin view."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.EVIDENCE_ROOT, base_url=None)


class Evidence(models.Model):
    """A file a requester attached to a notice (a PDF, an image, plain text): never
    published, read by staff only."""

    request = models.ForeignKey(RemovalRequest, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(storage=evidence_storage, upload_to="%Y/%m/", max_length=200)
    filename = models.CharField(max_length=200, help_text="The name it was sent under.")
    # Sniffed from the content, never taken from the name or the browser.
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("id",)
        verbose_name_plural = "evidence"

    def __str__(self):
        return f"{self.filename} ({self.content_type}, {self.size} bytes)"


class CounterNoticeSubmission(models.Model):
    """A counter-notice sent through the public form by the party whose content was
    removed. It waits for its sender to confirm their address, then for staff: accepted,
    it becomes a CounterNotice (forwarded to the requester, the restoration clock runs)."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        VERIFIED = "verified", _("Verified")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    request = models.ForeignKey(
        RemovalRequest, on_delete=models.PROTECT, related_name="counter_notice_submissions"
    )
    item = models.ForeignKey("items.Item", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    address = models.TextField()
    phone = models.CharField(max_length=50)
    email = models.EmailField(max_length=254)
    material = models.TextField(help_text="The material removed and where it appeared.")
    explanation = models.TextField(help_text="Why the decision is wrong, in their words.")
    mistake_statement = models.BooleanField(default=False)
    jurisdiction_consent = models.BooleanField(default=False)
    signature = models.CharField(max_length=200)
    language = models.CharField(max_length=8, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    token = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    counter_notice = models.OneToOneField(
        CounterNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="submission"
    )

    class Meta:
        ordering = ("-received_at", "-id")

    def __str__(self):
        return f"Counter-notice from {self.name} on {self.request}"


class RequesterSignIn(models.Model):
    """A sign-in link mailed by /takedown/mine/: it lists an address's requests and
    counter-notices, works once, and expires an hour after it was sent."""

    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)  # the link holds the token
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Sign-in link for {self.email}"
