"""Who acts: a staff user, the requester (by address) or a named system job. Every service
that changes the domain is told its actor, records it in the audit trail, and, when the
change is a decision, asks it whether it may decide."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models

from .permissions import user_may_decide


class ActorKind(models.TextChoices):
    STAFF = "staff", "Staff user"
    REQUESTER = "requester", "Requester"
    SYSTEM = "system", "System job"


@dataclass(frozen=True)
class Actor:
    kind: str
    name: str
    user: object = None

    @classmethod
    def staff(cls, user):
        return cls(ActorKind.STAFF, user.get_username(), user)

    @classmethod
    def requester(cls, email: str):
        return cls(ActorKind.REQUESTER, f"requester {email}")

    @classmethod
    def system(cls, job: str):
        return cls(ActorKind.SYSTEM, job)

    @property
    def may_decide(self) -> bool:
        """System jobs carry out decisions already made; people must be officers."""
        if self.kind == ActorKind.SYSTEM:
            return True
        return self.kind == ActorKind.STAFF and user_may_decide(self.user)

    def check_may_decide(self, what: str) -> None:
        """Every deciding service calls this first, whatever entry point called it."""
        if not self.may_decide:
            raise PermissionDenied(f"{self.name} may not {what}: compliance officers only")
