"""What follows when an origin's signals withdraw or narrow permission, or contradict the
basis we rely on: the origin is flagged for staff and, by its policy, blocked (its new
items withheld) and its items hidden — through the same services a removal request uses
(compliance.items.rules, compliance.items.status), each audited with the reason."""

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.items.rules import origin_block_create
from compliance.items.status import items_hide, origin_flag

from .models import LicenceCheck, LicenceWatch

WATCH_ACTOR = Actor.system("licence_watch")
REASON = "licence withdrawn or narrowed at origin"


def licence_narrowed(*, check: LicenceCheck, changes: list[str], previous: LicenceCheck) -> None:
    """Flag the origin, record the change, and apply the origin's policy. For an item's
    own page, a policy beyond flagging hides that item only. Call inside the check's
    transaction."""
    origin = check.origin
    what = "; ".join(changes)
    where = f"the page of “{check.item}”" if check.item_id else "the site"
    reason = f"{REASON}: {what} ({where}, checked {check.checked_at:%Y-%m-%d %H:%M} UTC)"
    audit_record(
        actor=WATCH_ACTOR,
        action="origin.licence_narrowed",
        obj=origin,
        reason=reason,
        before={"verdict": previous.verdict, "check": previous.pk},
        after={"verdict": check.verdict, "check": check.pk},
    )
    origin_flag(
        origin=origin,
        actor=WATCH_ACTOR,
        note=f"Licence signals narrowed on {check.checked_at:%Y-%m-%d}: {what} ({where}). "
        f"Now: {check.verdict}. Review the licence basis.",
        reason=REASON,
    )
    policy = LicenceWatch.objects.filter(origin=origin).values_list("policy", flat=True).first()
    if policy in (None, LicenceWatch.Policy.FLAG):
        return
    if check.item_id:
        items_hide(items=Item.objects.filter(pk=check.item_id), actor=WATCH_ACTOR, reason=reason)
        return
    origin_block_create(origin=origin, actor=WATCH_ACTOR, reason=reason)
    if policy == LicenceWatch.Policy.HIDE_ALL:
        items_hide(items=origin.items.published(), actor=WATCH_ACTOR, reason=reason)


def licence_contradicted(*, check: LicenceCheck) -> None:
    """The signals disagree with the basis in force: staff must look."""
    origin_flag(
        origin=check.origin,
        actor=WATCH_ACTOR,
        note=f"Licence signals contradict the basis ({check.checked_at:%Y-%m-%d}): "
        f"{check.contradiction}.",
        reason="licence signals contradict the basis",
    )
