"""Where a takedown or a restoration must be carried out besides our own pages: an edge
cache, a search engine, connected systems. One Destination row per place; one Delivery row
per destination and event (the outbox), written in the transaction of the change itself."""

from django.db import models
from django.utils import timezone


class Destination(models.Model):
    class Kind(models.TextChoices):
        # The transports in compliance/destinations/transports.py, one per kind; the next
        # kind (a WordPress site) is a row here and a transport there.
        VARNISH_XKEY = "varnish-xkey", "Edge cache: Varnish xkey purge"
        HTTP_PURGE = "http-purge", "Edge cache: HTTP PURGE of each URL"
        INDEXNOW = "indexnow", "Search engines: IndexNow"
        WEBHOOK = "webhook", "Webhook (connected system)"
        # Made with each connected site (compliance.wordpress), not by hand.
        WORDPRESS = "wordpress", "WordPress site"

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    url = models.URLField(
        max_length=500,
        help_text="Edge cache: its address (purges go there, and the self-check reads "
        "through it). IndexNow: the endpoint. Webhook: the subscriber's URL.",
    )
    secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="IndexNow: the key (served at /<key>.txt). Webhook: the signing secret.",
    )
    enabled = models.BooleanField(default=True)
    # Set for rows made from the environment (EDGE_CACHE_URL, INDEXNOW_KEY…): the next
    # start updates them; officers' own rows are never touched.
    from_environment = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_edge(self) -> bool:
        return self.kind in EDGE_KINDS


EDGE_KINDS = {Destination.Kind.VARNISH_XKEY, Destination.Kind.HTTP_PURGE}


class DeliveryQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now or timezone.now())


class Delivery(models.Model):
    """One event to carry out at one destination, retried with back-off until it is
    acknowledged or its attempts run out."""

    class Event(models.TextChoices):
        TAKEDOWN = "takedown", "Takedown"
        RESTORATION = "restoration", "Restoration"
        # Webhooks only: a status change to tell connected systems about.
        ITEM_STATUS = "item.status", "Item status changed"
        REQUEST_STATUS = "request.status", "Request status changed"

    class State(models.TextChoices):
        PENDING = "pending", "Pending (will try again)"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        FAILED = "failed", "Failed after its retries"

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=20, choices=Event.choices)
    # The removal request's reference (below takedowns a request is only its case).
    case = models.CharField(max_length=20, blank=True, db_index=True)
    # What makes the event unique at its destination: "" for a takedown or restoration
    # (once per case), the status change for a webhook notification.
    change = models.CharField(max_length=100, blank=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=12, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response = models.TextField(blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["destination", "event", "case", "change"],
                name="delivery_once_per_destination_event",
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.get_event_display()} {self.case or self.change} → {self.destination}"
