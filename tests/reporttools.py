"""A week of report data where every number is known in advance, in the report time zone
(Berlin, across the spring change of the clocks). A pytest plugin (see conftest.py): its
`week_data` fixture serves every report test module."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.reports.periods import Period
from compliance.takedowns.models import RemovalRequest
from tests.factories import (
    BlockRuleFactory,
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 23 to Sunday 29 March 2026 in Berlin: clocks go forward on the Sunday.
WEEK = Period("weekly", date(2026, 3, 23), date(2026, 3, 29), BERLIN)


def berlin(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


# --- a data set where every number is known ---------------------------------------------------


def audit(action: str, at: datetime, request=None, obj=None, **after) -> AuditEvent:
    obj = obj or request or ItemFactory()
    return AuditEvent.objects.create(
        at=at,
        actor_kind="system",
        actor_name="self_check",
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj),
        case=request.reference if request else "",
        after=after,
    )


def item(
    origin,
    *,
    status=Item.Status.PUBLISHED,
    republished=None,
    changed=None,
    ingested=None,
    rule=None,
    **extra,
) -> Item:
    """An item as the item services leave it: a hidden or withheld one has the audit
    event of its last status change."""
    first = republished or ingested or changed or berlin(1, 0)
    made = ItemFactory(
        origin=origin,
        status=status,
        # A published item always has a republication time (a database constraint).
        republished_at=republished or (first if status == Item.Status.PUBLISHED else None),
        status_changed_at=changed or first,
        ingested_at=ingested or first,
        status_rule=rule,
        **extra,
    )
    if status != Item.Status.PUBLISHED:
        audit(f"item.{status}", made.status_changed_at, obj=made)
    return made


@pytest.fixture
def week_data(db):
    """The week of 23 March 2026 in Berlin. Requests R1-R7 are received in it; R8 was
    received before and completed in it; R9 and R11 are open at its end (both overdue);
    R10 is reversed in it; R12 comes after it."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    expiring = LicenceBasisFactory(
        name="Syndication deal", expires_at=WEEK.end + timedelta(days=10)
    )
    LicenceBasisFactory(name="Later deal", expires_at=WEEK.end + timedelta(days=40))
    LicenceBasisFactory(name="Old deal", expires_at=WEEK.end - timedelta(days=1))
    alpha = OriginFactory(domain="alpha.example", name="Alpha Daily", licence_basis=expiring)
    beta = OriginFactory(domain="beta.example", name="Beta Weekly")
    before = berlin(10, 9)

    rule_source = item(alpha, status=Item.Status.HIDDEN, republished=before)
    rule = BlockRuleFactory(item=rule_source)
    items = {
        "I1": item(alpha, republished=berlin(24, 10)),
        "I2": item(
            alpha, status=Item.Status.HIDDEN, republished=berlin(24, 11), changed=berlin(25, 9)
        ),
        "I3": item(alpha, status=Item.Status.HIDDEN, republished=before, changed=berlin(27, 10)),
        "I4": item(alpha, status=Item.Status.WITHHELD, ingested=berlin(26, 8), rule=rule),
        "I5": item(
            alpha,
            status=Item.Status.WITHHELD,
            republished=before,
            changed=berlin(28, 6),
            status_reason="licence expired",
        ),
        "I6": item(beta, republished=berlin(29, 1, 30)),
        "I7": item(beta, status=Item.Status.WITHHELD, ingested=berlin(29, 23, 30), rule=rule),
        "I8": item(beta, status=Item.Status.WITHHELD, ingested=before, rule=rule),
        "I9": item(beta, republished=berlin(30, 8)),
        # Withheld at ingest because staff blocked the origin (no rule, licence in force).
        "I10": item(
            beta,
            status=Item.Status.WITHHELD,
            ingested=berlin(27, 8),
            status_reason="origin blocked",
        ),
    }

    def request(name, received, **fields):
        return RemovalRequestFactory(
            reference=f"TD-2026-{name}",
            received_at=received,
            due_at=received + timedelta(hours=48),
            **fields,
        )

    completed = RemovalRequest.Status.COMPLETED
    requests = {
        # Received 00:30 on Monday in Berlin, still Sunday in UTC: inside the week.
        "R1": request(
            "00001",
            berlin(23, 0, 30),
            status=completed,
            approved_automatically=True,
            completed_at=berlin(23, 2, 30),
        ),
        "R2": request(
            "00002",
            berlin(24, 9),
            channel="email",
            role="rights_holder",
            status=completed,
            completed_at=berlin(25, 9),
            assignee=alice,
        ),
        "R3": request(
            "00003",
            berlin(24, 10),
            role="agent",
            ground="privacy",
            status=completed,
            completed_at=berlin(27, 10),
        ),
        "R4": request(
            "00004",
            berlin(25, 8),
            channel="api",
            role="other",
            ground="defamation",
            status="rejected",
            decided_at=berlin(25, 15),
            closed_at=berlin(25, 15),
        ),
        "R5": request(
            "00005", berlin(26, 11), ground="other", status="withdrawn", closed_at=berlin(26, 12)
        ),
        "R6": request("00006", berlin(29, 1, 30), channel="staff", role="", ground=""),
        # 23:30 on the Sunday, after the clocks went forward: still inside the week.
        "R7": request("00007", berlin(29, 23, 30), status="verified"),
        "R8": request("00008", berlin(16, 9), status=completed, completed_at=berlin(23, 9)),
        "R9": request("00009", before, assignee=bob),
        "R10": request(
            "00010",
            berlin(1, 9),
            status="reversed",
            completed_at=berlin(2, 9),
            closed_at=berlin(25, 10),
        ),
        # Completed only after the week: it was open, and overdue, when the week ended.
        "R11": request("00011", berlin(20, 10), status=completed, completed_at=berlin(31, 9)),
        "R12": request("00012", berlin(30, 10)),
    }
    RemovalTargetFactory(request=requests["R1"], item=items["I3"])
    RemovalTargetFactory(request=requests["R2"], item=items["I2"])
    RemovalTargetFactory(request=requests["R2"], item=None, url="https://elsewhere.example/x")
    audit("request.self_check", berlin(26, 12), requests["R2"], passed=False, status=200)
    audit("request.self_check", berlin(24, 12), requests["R1"], passed=True)
    audit("request.self_check", berlin(20, 12), requests["R8"], passed=False)
    return {"items": items, "requests": requests, "rule": rule}
