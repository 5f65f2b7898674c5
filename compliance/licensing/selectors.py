"""Reads of licence evidence for the admin, the API and reports."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Prefetch

from compliance.items.models import Item, LicenceBasis, Origin

from .models import LicenceCheck, LicenceSnapshot

Kind = LicenceSnapshot.Kind


def readings():
    """Readings of licensing signals (not the removed-at-origin re-check's records)."""
    return LicenceCheck.objects.filter(reading=LicenceCheck.Reading.SIGNALS)


def origin_current_check(origin: Origin) -> LicenceCheck | None:
    return readings().filter(origin=origin, item=None).order_by("-checked_at", "-id").first()


def check_previous(check: LicenceCheck) -> LicenceCheck | None:
    return (
        readings()
        .filter(origin=check.origin_id, item=check.item_id, checked_at__lte=check.checked_at)
        .exclude(pk=check.pk)
        .order_by("-checked_at", "-id")
        .first()
    )


@dataclass
class SnapshotChange:
    change: str  # "added", "removed", "changed"
    kind: str
    location: str
    before: str
    after: str


def checks_diff(before: LicenceCheck | None, after: LicenceCheck) -> list[SnapshotChange]:
    """What differs between two readings, snapshot by snapshot (by kind and location; the
    values compared by hash). Two queries."""

    def keyed(check):
        found: dict[tuple[str, str], list[LicenceSnapshot]] = {}
        for s in check.snapshots.all() if check else []:
            found.setdefault((s.kind, s.location), []).append(s)
        return found

    old, new = keyed(before), keyed(after)
    changes = []
    for key in sorted(old.keys() | new.keys()):
        was = {s.sha256: s.value for s in old.get(key, [])}
        now = {s.sha256: s.value for s in new.get(key, [])}
        if was.keys() == now.keys():
            continue
        label = Kind(key[0]).label
        if not was:
            changes += [SnapshotChange("added", label, key[1], "", v) for v in now.values()]
        elif not now:
            changes += [SnapshotChange("removed", label, key[1], v, "") for v in was.values()]
        else:
            changes.append(
                SnapshotChange(
                    "changed", label, key[1], "\n".join(was.values()), "\n".join(now.values())
                )
            )
    return changes


@dataclass
class Evidence:
    """Which basis applied to an item on a day, and the readings that supported it."""

    on: date
    basis: LicenceBasis | None
    basis_in_force: bool
    checks: list[LicenceCheck]  # the origin's and the item's last readings by that day


def item_licence_evidence(item: Item, on: date) -> Evidence:
    """The basis recorded for the item, whether it was in force on `on` (UTC day), and
    the last reading of the origin's and of the item's signals made by the end of that day,
    with their snapshots (the origin's first). Four queries."""
    end = datetime.combine(on + timedelta(days=1), time.min, tzinfo=UTC)
    basis = item.licence_basis
    in_force = basis is not None and (
        (basis.valid_from is None or basis.valid_from < end)
        and (basis.expires_at is None or basis.expires_at > end - timedelta(days=1))
    )
    origin_readings = (
        readings()
        .filter(origin=item.origin_id, checked_at__lt=end)
        .filter(item__isnull=True)
        .order_by("-checked_at", "-id")[:1]
    )
    item_readings = (
        readings().filter(item=item, checked_at__lt=end).order_by("-checked_at", "-id")[:1]
    )
    snapshots = Prefetch("snapshots", queryset=LicenceSnapshot.objects.order_by("kind", "location"))
    ids = [c.pk for c in origin_readings] + [c.pk for c in item_readings]
    found = LicenceCheck.objects.filter(pk__in=ids).prefetch_related(snapshots).in_bulk()
    checks = [found[pk] for pk in ids]
    return Evidence(on=on, basis=basis, basis_in_force=in_force, checks=checks)
