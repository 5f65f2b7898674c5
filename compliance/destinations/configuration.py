"""Destinations named by the environment (EDGE_CACHE_URL, INDEXNOW_KEY…) become rows,
created or updated at every migrate; officers add and change the others in the admin."""

from django.conf import settings
from django.db import DatabaseError, transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor

from .models import Destination

EDGE_KINDS_BY_SETTING = {
    "varnish-xkey": Destination.Kind.VARNISH_XKEY,
    "purge": Destination.Kind.HTTP_PURGE,
}


def environment_destinations() -> dict[str, dict]:
    """{environment name: the row's fields} for what the settings configure."""
    found = {}
    if settings.EDGE_CACHE_URL:
        kind = EDGE_KINDS_BY_SETTING.get(settings.EDGE_CACHE_KIND)
        if kind is None:
            raise ValueError(
                f"EDGE_CACHE_KIND must be one of {', '.join(EDGE_KINDS_BY_SETTING)}, "
                f"not {settings.EDGE_CACHE_KIND!r}"
            )
        found["EDGE_CACHE_URL"] = {
            "name": "Edge cache",
            "kind": kind,
            "url": settings.EDGE_CACHE_URL,
            "secret": "",
        }
    if settings.INDEXNOW_KEY:
        found["INDEXNOW_KEY"] = {
            "name": "IndexNow",
            "kind": Destination.Kind.INDEXNOW,
            "url": settings.INDEXNOW_ENDPOINT,
            "secret": settings.INDEXNOW_KEY,
        }
    return found


def destinations_sync_environment() -> None:
    try:
        for source, fields in environment_destinations().items():
            row = Destination.objects.filter(from_environment=source).first()
            if row is None:
                Destination.objects.create(from_environment=source, **fields)
                continue
            Destination.objects.filter(pk=row.pk).update(**fields)
    except DatabaseError:
        pass  # the table is not there yet (a migrate of another app first)


SETTINGS = ("name", "kind", "url", "secret", "enabled")
INDEXNOW_KEY_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _validated(destination: Destination) -> None:
    """The rules the admin form cannot know: what each kind needs of its secret."""
    secret = destination.secret
    if destination.kind == Destination.Kind.WEBHOOK and len(secret) < 16:
        raise ValueError("a webhook needs a signing secret of at least 16 characters")
    if destination.kind == Destination.Kind.INDEXNOW and not (
        8 <= len(secret) <= 128 and set(secret) <= INDEXNOW_KEY_CHARS
    ):
        raise ValueError("an IndexNow key is 8 to 128 letters, digits or dashes")
    try:
        destination.full_clean(exclude=["from_environment"])
    except Exception as exc:
        raise ValueError(str(exc)) from None


def _snapshot(destination: Destination, names) -> dict:
    # The secret itself never goes into the audit trail: only that it changed.
    return {
        name: ("(set)" if getattr(destination, name) else "")
        if name == "secret"
        else getattr(destination, name)
        for name in names
    }


def destination_create(*, actor: Actor, reason: str = "", **fields) -> Destination:
    """An officer adds a destination (audit: destination.created)."""
    actor.check_may_decide("configure destinations")
    unknown = set(fields) - set(SETTINGS)
    if unknown:
        raise ValueError(f"these fields cannot be set: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        destination = Destination(**fields)
        _validated(destination)
        destination.save()
        audit_record(
            actor=actor,
            action="destination.created",
            obj=destination,
            reason=reason,
            after=_snapshot(destination, fields),
        )
    return destination


def destination_update(
    *, destination: Destination, actor: Actor, reason: str = "", **fields
) -> Destination:
    """An officer changes a destination (audit: destination.changed, with what changed)."""
    actor.check_may_decide("configure destinations")
    unknown = set(fields) - set(SETTINGS)
    if unknown:
        raise ValueError(f"these fields cannot be set: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        current = Destination.objects.select_for_update().get(pk=destination.pk)
        changed = [name for name, value in fields.items() if getattr(current, name) != value]
        if not changed:
            return current
        before = _snapshot(current, changed)
        for name in changed:
            setattr(current, name, fields[name])
        _validated(current)
        current.save()
        audit_record(
            actor=actor,
            action="destination.changed",
            obj=current,
            reason=reason,
            before=before,
            after=_snapshot(current, changed),
        )
    return current
