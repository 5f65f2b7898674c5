"""The licence watch's settings (policy, interval): changed only here, by an officer,
audited like every other configuration (licence_watch.changed)."""

from django.db import transaction

from compliance.audit.services import audit_record
from compliance.core.actors import Actor

from .models import LicenceWatch

WATCH_SETTINGS = ("policy", "interval_hours")


def licence_watch_update(*, actor: Actor, watch: LicenceWatch, **fields) -> LicenceWatch:
    """Set an origin's policy (what a narrowing does) and how often it is read. The policy
    decides whether items are hidden, so only officers may change it."""
    actor.check_may_decide("change licence policies")
    unknown = set(fields) - set(WATCH_SETTINGS)
    if unknown:
        raise ValueError(f"these settings cannot be set: {', '.join(sorted(unknown))}")
    if "policy" in fields and fields["policy"] not in LicenceWatch.Policy.values:
        raise ValueError(f"policy: unknown policy {fields['policy']!r}")
    if "interval_hours" in fields and not 1 <= int(fields["interval_hours"]) <= 24 * 30:
        raise ValueError("interval_hours: between 1 hour and 30 days")
    with transaction.atomic():
        current = LicenceWatch.objects.select_for_update().get(pk=watch.pk)
        before = {name: getattr(current, name) for name in fields}
        changed = {name: value for name, value in fields.items() if before[name] != value}
        if changed:
            LicenceWatch.objects.filter(pk=watch.pk).update(**changed)
            audit_record(
                actor=actor,
                action="licence_watch.changed",
                obj=current.origin,
                before={name: before[name] for name in changed},
                after=changed,
            )
    return LicenceWatch.objects.get(pk=watch.pk)
