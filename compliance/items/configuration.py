"""What staff configure: origins, feeds and licence bases. Created and changed only here,
whoever asks (the admin, the API, `manage.py demo`, ingest finding a new site), each change
validated by the model's own rules and audited the same way: `<entity>.created` with every
setting, `<entity>.changed` with what changed before and after.
"""

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import normalise_domain

from .models import Feed, LicenceBasis, Origin
from .signals import origin_created

ORIGIN_SETTINGS = (
    "domain",
    "name",
    "home_page",
    "contact_emails",
    "licence_basis",
    "disclaimer_template",
    "canonical_to_original",
    "noindex",
    "attention_needed",
)
LICENCE_SETTINGS = (
    "name",
    "kind",
    "licence_url",
    "terms",
    "evidence_document",
    "evidence_url",
    "evidence_note",
    "valid_from",
    "expires_at",
)
FEED_SETTINGS = ("origin", "url", "title", "is_active", "poll_interval_minutes")


def _plain(value):
    """A value as the audit trail stores it (JSON)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Origin):
        return value.domain
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.fields.files.FieldFile):
        return value.name
    return str(value)


def _snapshot(obj, names) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def _check_names(fields: dict, allowed: tuple[str, ...], entity: str) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"these {entity} fields cannot be set: {', '.join(sorted(unknown))}")


def _validated(obj, exclude=()) -> None:
    """The model's own rules (field validators, clean(), uniqueness): a refusal is a
    ValueError naming the fields, like every service's refusal."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        problems = "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
        raise ValueError(problems) from None


def _create(model, *, actor: Actor, entity: str, names, reason: str, **fields):
    obj = model(**fields)
    _validated(obj)
    obj.save()
    audit_record(
        actor=actor, action=f"{entity}.created", obj=obj, reason=reason, after=_snapshot(obj, names)
    )
    return obj


def _update(obj, *, actor: Actor, entity: str, names, reason: str, fields: dict, extra=None):
    """Apply the fields that differ to the locked current row; audit what changed."""
    current = type(obj).objects.select_for_update().get(pk=obj.pk)
    changed = [name for name, value in fields.items() if getattr(current, name) != value]
    if not changed:
        return current
    before = _snapshot(current, changed)
    for name in changed:
        setattr(current, name, fields[name])
    for name, value in (extra(current, changed) if extra else {}).items():
        setattr(current, name, value)
    _validated(current)
    current.save()
    audit_record(
        actor=actor,
        action=f"{entity}.changed",
        obj=current,
        reason=reason,
        before=before,
        after=_snapshot(current, changed),
    )
    return current


# --- origins ---------------------------------------------------------------------------------


def origin_create(*, actor: Actor, reason: str = "", **fields) -> Origin:
    """Add an origin (audit: origin.created). Its domain is normalised; a domain already
    known raises ValueError."""
    _check_names(fields, ORIGIN_SETTINGS, "origin")
    with transaction.atomic():
        origin = _create(
            Origin, actor=actor, entity="origin", names=ORIGIN_SETTINGS, reason=reason, **fields
        )
        origin_created.send(sender=Origin, origin=origin)
        return origin


def origin_update(*, origin: Origin, actor: Actor, reason: str = "", **fields) -> Origin:
    """Change an origin's settings (audit: origin.changed). Its domain is what block rules,
    stay-down and the staff's records name it by: it cannot change once the origin has
    items or rules (add the new domain as an origin of its own)."""
    _check_names(fields, ORIGIN_SETTINGS, "origin")
    if "domain" in fields:
        fields["domain"] = normalise_domain(fields["domain"])
    with transaction.atomic():
        current = Origin.objects.get(pk=origin.pk)
        new = fields.get("domain", current.domain)
        if new != current.domain and (current.items.exists() or current.block_rules.exists()):
            raise ValueError(
                f"the domain of {current} cannot change: it has items or block rules under "
                f"{current.domain}; add {new} as an origin of its own"
            )
        return _update(
            origin,
            actor=actor,
            entity="origin",
            names=ORIGIN_SETTINGS,
            reason=reason,
            fields=fields,
        )


# --- licence bases ---------------------------------------------------------------------------


def licence_basis_create(*, actor: Actor, reason: str = "", **fields) -> LicenceBasis:
    """Record a licence basis (audit: licence_basis.created)."""
    _check_names(fields, LICENCE_SETTINGS, "licence basis")
    with transaction.atomic():
        return _create(
            LicenceBasis,
            actor=actor,
            entity="licence_basis",
            names=LICENCE_SETTINGS,
            reason=reason,
            **fields,
        )


def licence_basis_update(
    *, basis: LicenceBasis, actor: Actor, reason: str = "", **fields
) -> LicenceBasis:
    """Change a licence basis (audit: licence_basis.changed). Items already published keep
    the licence note they were shown with."""
    _check_names(fields, LICENCE_SETTINGS, "licence basis")
    with transaction.atomic():
        return _update(
            basis,
            actor=actor,
            entity="licence_basis",
            names=LICENCE_SETTINGS,
            reason=reason,
            fields=fields,
        )


# --- feeds -----------------------------------------------------------------------------------


def feed_create(
    *,
    actor: Actor,
    origin: Origin,
    url: str,
    title: str = "",
    is_active: bool = True,
    poll_interval_minutes: int | None = None,
    reason: str = "",
) -> Feed:
    """Add a feed for an origin (audit: feed.created). The caller validates the URL
    (http(s) only, unless it is the command line's file); a URL already taken raises
    ValueError."""
    try:
        with transaction.atomic():
            feed = Feed(
                origin=origin,
                url=url,
                title=title,
                is_active=is_active,
                poll_interval_minutes=poll_interval_minutes or settings.FEED_DEFAULT_POLL_MINUTES,
            )
            _validated(feed, exclude=["url"])  # a file: URL is the command line's to give
            feed.save()
            audit_record(
                actor=actor,
                action="feed.created",
                obj=feed,
                reason=reason,
                after=_snapshot(feed, FEED_SETTINGS),
            )
    except IntegrityError:
        raise ValueError(f"a feed with the URL {url} exists already") from None
    return feed


def _fresh_fetch_state(feed: Feed, changed: list[str]) -> dict:
    # A new URL starts afresh: the old address's ETag and Last-Modified do not apply to it.
    return {"etag": "", "last_modified": ""} if "url" in changed else {}


def feed_update(*, feed: Feed, actor: Actor, reason: str = "", **fields) -> Feed:
    """Change a feed's settings (audit: feed.changed, with what changed). A new URL starts
    afresh: the old address's ETag and Last-Modified do not apply to it."""
    _check_names(fields, FEED_SETTINGS, "feed")
    try:
        with transaction.atomic():
            return _update(
                feed,
                actor=actor,
                entity="feed",
                names=FEED_SETTINGS,
                reason=reason,
                fields=fields,
                extra=_fresh_fetch_state,
            )
    except IntegrityError:
        raise ValueError(f"a feed with the URL {fields.get('url')} exists already") from None


def feed_delete(*, feed: Feed, actor: Actor, reason: str = "") -> None:
    """Delete a feed (audit: feed.deleted). Its items stay, without a feed."""
    with transaction.atomic():
        feed = Feed.objects.select_related("origin").get(pk=feed.pk)
        audit_record(
            actor=actor,
            action="feed.deleted",
            obj=feed,
            reason=reason,
            before=_snapshot(feed, FEED_SETTINGS),
        )
        feed.delete()
