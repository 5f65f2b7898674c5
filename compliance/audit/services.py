"""Writing the audit trail. Every service that changes the domain calls `audit_record` in
the same transaction as its change, so the trail and the data never disagree."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType

from .models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user, the requester (by address) or a named system job."""

    kind: str
    name: str
    user: object = None

    @classmethod
    def staff(cls, user):
        return cls(AuditEvent.ActorKind.STAFF, user.get_username(), user)

    @classmethod
    def requester(cls, email: str):
        return cls(AuditEvent.ActorKind.REQUESTER, f"requester {email}")

    @classmethod
    def system(cls, job: str):
        return cls(AuditEvent.ActorKind.SYSTEM, job)


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    request=None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_name=actor.name[:200],
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        request=request,
        reason=reason,
        before=before or {},
        after=after or {},
    )
