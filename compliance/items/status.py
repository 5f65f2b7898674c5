"""An item's status after it was stored: hidden (taken down), published again (restored),
withheld when its licence lapses, or because a block rule covers it. With ingest
(compliance.items.ingest), the only code that sets Item.status.

Every change is set-based: a fixed number of statements whatever the number of items
(bench/hide.py measures it), each item with its audit event. Decisions (hiding, restoring)
check the actor's permission themselves, whichever entry point calls them.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.template import TemplateSyntaxError
from django.utils import timezone

from compliance.audit.services import audit_record, audit_record_each
from compliance.core.actors import Actor

from .attribution import item_freeze_attribution
from .models import BlockRule, Item, Origin
from .signals import item_status_changed
from .staydown import best_matches, published_matches

LICENCE_EXPIRED = "licence expired"
LICENCE_JOB = Actor.system("licence_expiry")
RECHECK = Actor.system("staydown_recheck")
RECHECK_REASON = "found by the re-check"
# Batches of ids passed to one statement.
CHUNK = 1_000


def _change_status(
    rows: QuerySet[Item],
    *,
    from_status: str,
    to_status: str,
    action: str,
    actor: Actor,
    reason: str,
    case: str = "",
    rule: BlockRule | None = None,
    now: datetime,
    **updates,
) -> int:
    """Move `rows` that are `from_status` to `to_status` with their audit events: two
    statements. Call inside a transaction."""
    rows = Item.objects.filter(pk__in=rows.values("pk"), status=from_status)
    after = {"status": to_status} | ({"rule": rule.pk} if rule else {})
    audit_record_each(
        rows,
        actor=actor,
        action=action,
        reason=reason,
        before={"status": from_status},
        after=after,
        case=case,
        repr_field="title",
        now=now,
    )
    changed = rows.update(
        status=to_status,
        status_changed_at=now,
        status_reason=reason,
        status_case=case,
        status_rule=rule,
        **updates,
    )
    if changed:
        item_status_changed.send(
            sender=Item,
            rows=Item.objects.filter(status=to_status, status_changed_at=now, status_case=case),
            from_status=from_status,
            to_status=to_status,
            at=now,
            case=case,
            reason=reason,
        )
    return changed


def items_hide(
    *,
    items: QuerySet[Item],
    actor: Actor,
    reason: str,
    case: str = "",
    rule: BlockRule | None = None,
) -> int:
    """Take the published ones among `items` down (hidden), each with an `item.hidden`
    audit event and the case (a removal request's reference) and rule, if any, recorded as
    the cause. Items already hidden or withheld are left as they are, so running it again
    changes nothing. Two statements whatever the number of items; returns how many were
    hidden."""
    actor.check_may_decide("hide items")
    reason = (reason or "").strip() or "hidden"
    with transaction.atomic():
        return _change_status(
            items,
            from_status=Item.Status.PUBLISHED,
            to_status=Item.Status.HIDDEN,
            action="item.hidden",
            actor=actor,
            reason=reason,
            case=case,
            rule=rule,
            now=timezone.now(),
        )


def items_reattribute(
    *,
    items: QuerySet[Item],
    from_case: str,
    to_case: str,
    actor: Actor,
    reason: str,
    rule: BlockRule | None = None,
) -> int:
    """Items `from_case` took down that `to_case` (or `rule`) also covers stay down, now
    under `to_case` (so that reversing the first does not bring back what the second
    still asks to keep down). Their status does not change; each gets an
    `item.reattributed` audit event. Two statements; returns how many moved."""
    now = timezone.now()
    with transaction.atomic():
        rows = Item.objects.filter(
            pk__in=items.values("pk"),
            status_case=from_case,
            status__in=[Item.Status.HIDDEN, Item.Status.WITHHELD],
        )
        audit_record_each(
            rows,
            actor=actor,
            action="item.reattributed",
            reason=reason,
            before={"request": from_case},
            after={"request": to_case},
            case=to_case,
            repr_field="title",
            now=now,
        )
        return rows.update(status_case=to_case, status_reason=reason, status_rule=rule)


def _licence_invalid(now: datetime) -> Q:
    """Items whose licence basis is not in force at `now` (an item without a basis is
    published with a note saying so, as at ingest)."""
    return Q(licence_basis__expires_at__lte=now) | Q(licence_basis__valid_from__gt=now)


def items_restore(*, items: QuerySet[Item], actor: Actor, reason: str, case: str = "") -> int:
    """Publish `items` again: the hidden and withheld ones among them (the caller chooses
    which: a reversed request's items, or those staff picked). An item whose licence is not
    in force is not published: it stays, or becomes, withheld ("licence expired"). An item
    that was never published gets its licence note and disclaimer frozen now; the others
    keep exactly what readers saw before. A fixed number of statements, plus one save per
    never-published item. Returns how many were published."""
    actor.check_may_decide("restore items")
    reason = (reason or "").strip() or "restored"
    now = timezone.now()
    mine = Item.objects.filter(pk__in=items.values("pk"))
    common = {"actor": actor, "case": case, "now": now}
    with transaction.atomic():
        # Hidden, but the licence has lapsed meanwhile: withheld rather than shown.
        _change_status(
            mine.filter(_licence_invalid(now)),
            from_status=Item.Status.HIDDEN,
            to_status=Item.Status.WITHHELD,
            action="item.withheld",
            reason=LICENCE_EXPIRED,
            **common,
        )
        valid = mine.exclude(_licence_invalid(now))
        # Never published: the texts readers will see are frozen now, one item at a time
        # (each renders its origin's template); there are few of these.
        first_time = list(
            valid.filter(
                status__in=[Item.Status.HIDDEN, Item.Status.WITHHELD], disclaimer=""
            ).select_related("origin", "licence_basis")
        )
        for item in first_time:
            _restore_first_time(item, reason=reason, **common)
        restored = len(first_time)
        for from_status in (Item.Status.HIDDEN, Item.Status.WITHHELD):
            restored += _change_status(
                valid.exclude(disclaimer=""),
                from_status=from_status,
                to_status=Item.Status.PUBLISHED,
                action="item.restored",
                reason=reason,
                republished_at=Coalesce("republished_at", Value(now)),
                **common,
            )
    return restored


def origin_flag(*, origin: Origin, actor: Actor, note: str, reason: str) -> None:
    """Ask staff to look at an origin (origin.flagged), e.g. a disclaimer template that
    does not render or a licence that lapsed."""
    before = Origin.objects.filter(pk=origin.pk).values_list("attention_needed", flat=True)
    before = before.first() or ""
    if before == note:
        return
    Origin.objects.filter(pk=origin.pk).update(attention_needed=note)
    audit_record(
        actor=actor,
        action="origin.flagged",
        obj=origin,
        reason=reason,
        before={"attention_needed": before},
        after={"attention_needed": note},
    )


def _restore_first_time(item: Item, *, actor: Actor, reason: str, case: str, now) -> None:
    before = item.status
    try:
        item_freeze_attribution(item=item)
    except TemplateSyntaxError as exc:
        # Nothing may be shown without its disclaimer: the item stays as it is.
        origin_flag(
            origin=item.origin,
            actor=actor,
            note=f"The disclaimer template does not render: {exc}",
            reason="disclaimer template error",
        )
        return
    item.status = Item.Status.PUBLISHED
    item.status_changed_at = item.republished_at = now
    item.status_reason = reason
    item.status_case = case
    item.status_rule = None
    item.save(
        update_fields=[
            "status",
            "status_changed_at",
            "republished_at",
            "status_reason",
            "status_case",
            "status_rule",
            "licence_note",
            "licence_note_sha256",
            "disclaimer",
            "disclaimer_sha256",
        ]
    )
    audit_record(
        actor=actor,
        action="item.restored",
        obj=item,
        reason=reason,
        before={"status": before},
        after={
            "status": Item.Status.PUBLISHED,
            "licence_note_sha256": item.licence_note_sha256,
            "disclaimer_sha256": item.disclaimer_sha256,
        },
        case=case,
    )


def items_withhold_expired_licences(*, now: datetime) -> int:
    """Withhold every published item whose licence basis has expired by `now` (audit
    reason "licence expired") and flag each origin concerned for staff. Set-based: a fixed
    number of statements plus one small update per origin flagged. Returns how many items
    were withheld; running it again withholds nothing more."""
    expired = Item.objects.published().filter(licence_basis__expires_at__lte=now)
    with transaction.atomic():
        origin_ids = list(expired.values_list("origin_id", flat=True).distinct().order_by())
        withheld = _change_status(
            expired,
            from_status=Item.Status.PUBLISHED,
            to_status=Item.Status.WITHHELD,
            action="item.withheld",
            actor=LICENCE_JOB,
            reason=LICENCE_EXPIRED,
            now=now,
        )
        for origin in Origin.objects.filter(pk__in=origin_ids):
            origin_flag(
                origin=origin,
                actor=LICENCE_JOB,
                note=f"A licence basis expired: its items were withheld on {now:%Y-%m-%d}. "
                "Record a new basis (or its renewal), then restore the items.",
                reason=LICENCE_EXPIRED,
            )
    return withheld


def items_hide_blocked(*, case: str | None = None, actor: Actor = RECHECK, reason: str = "") -> int:
    """Take down every published item an active rule covers (only `case`'s rules, if
    given), each under its best-matching rule and that rule's case: the periodic re-check
    (reason "found by the re-check") and the takedown job (its own rules). One query to
    find them (staydown's SQL form), then two statements per rule that matched; zero
    when all is consistent. Returns how many were hidden."""
    by_rule: dict[int, list[int]] = {}
    for match in best_matches(published_matches(case=case)).values():
        by_rule.setdefault(match.rule_id, []).append(match.item_id)
    hidden = 0
    for rule in BlockRule.objects.filter(pk__in=by_rule).order_by("pk"):
        ids = by_rule[rule.pk]
        for start in range(0, len(ids), CHUNK):
            hidden += items_hide(
                items=Item.objects.filter(pk__in=ids[start : start + CHUNK]),
                actor=actor,
                reason=f"{reason or RECHECK_REASON}: block rule: {rule}",
                case=rule.case,
                rule=rule,
            )
    return hidden
