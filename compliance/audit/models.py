from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from compliance.core.actors import ActorKind


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only")

    def delete(self):
        raise TypeError("Audit events are append-only")

    def for_object(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class AuditEvent(models.Model):
    """One action on an item, origin, feed, request or rule: who, what, when, before, after.

    Append-only: the model refuses updates and deletes, the admin and the API offer neither,
    and on PostgreSQL a trigger refuses them in the database too.
    """

    ActorKind = ActorKind

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # A snapshot of who acted ("alice", "requester jane@example.com", "process_takedown"),
    # readable even after the user is gone.
    actor_name = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.BigIntegerField()
    object_repr = models.CharField(max_length=300)
    # The case the action belongs to, if any: a removal request's reference (TD-2026-00042).
    # The trail knows cases only by name, so that every app can write to it; the takedowns
    # app gives the name its meaning. A request's whole history is one indexed query.
    case = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    before = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "at"]),
            # Reports count events of one kind in a period (self-checks, item changes).
            models.Index(fields=["action", "at"]),
            models.Index(fields=["case", "at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only")
