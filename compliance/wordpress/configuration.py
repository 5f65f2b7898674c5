"""Saving a WordPress site's settings, audited. The application password is encrypted as it
is stored, and never written to the audit trail or shown again."""

from django.db import transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.destinations.models import Destination

from .models import WordPressSite

FIELDS = (
    "name",
    "base_url",
    "username",
    "takedown_status",
    "original_url_meta_keys",
    "map_by_source_link",
    "is_active",
)


def _check(actor: Actor) -> None:
    actor.check_may_decide("connect WordPress sites")


def wordpress_site_create(*, actor: Actor, password: str, **fields) -> WordPressSite:
    _check(actor)
    if not password:
        raise ValueError("An application password is needed to connect a site.")
    site = WordPressSite(**{name: fields[name] for name in FIELDS if name in fields})
    site.set_password(password)
    with transaction.atomic():
        site.destination = Destination.objects.create(
            kind=Destination.Kind.WORDPRESS, **_as_destination(site)
        )
        site.save()
        audit_record(
            actor=actor,
            action="wordpress.site_connected",
            obj=site,
            after={name: str(getattr(site, name)) for name in FIELDS},
        )
    return site


def _as_destination(site: WordPressSite) -> dict:
    """The site's destination row says what the site says (its name, address, whether on)."""
    return {
        "name": f"WordPress: {site.name}"[:100],
        "url": site.base_url,
        "enabled": site.is_active,
    }


def wordpress_site_update(
    *, actor: Actor, site: WordPressSite, password: str = "", **fields
) -> WordPressSite:
    """Change what `fields` names; a non-empty `password` replaces the stored one."""
    _check(actor)
    site = WordPressSite.objects.get(pk=site.pk)
    changed = {name: value for name, value in fields.items() if name in FIELDS}
    before = {name: str(getattr(site, name)) for name in changed}
    for name, value in changed.items():
        setattr(site, name, value)
    after = {name: str(value) for name, value in changed.items()}
    if password:
        site.set_password(password)
        after["password"] = "replaced"
    site.last_error, site.consecutive_failures, site.next_sync_at = "", 0, None
    site.save()
    audit_record(actor=actor, action="wordpress.site_changed", obj=site, before=before, after=after)
    return site
