"""Writing the audit trail. Every service that changes the domain calls `audit_record` (one
event), `audit_record_many` (a batch of events, one INSERT) or `audit_record_each` (one
event per row of a queryset) in the same transaction as its change, so the trail and the
data never disagree."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import DateTimeField, F, IntegerField, JSONField, QuerySet, Value
from django.db.models.functions import Substr
from django.utils import timezone

from compliance.core.actors import Actor

from .models import AuditEvent


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj,
    reason: str = "",
    before: dict | None = None,
    after: dict | None = None,
    case: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_name=actor.name[:200],
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:300],
        case=case or "",
        reason=reason,
        before=before or {},
        after=after or {},
    )


@dataclass(frozen=True)
class Record:
    """One event of audit_record_many: what happened to which object."""

    obj: Any
    action: str
    reason: str = ""
    after: dict | None = None
    case: str = ""


def audit_record_many(*, actor: Actor, records: list[Record]) -> list[AuditEvent]:
    """The events of a batch (a feed's new items, say) by one actor, in one INSERT; each as
    audit_record would write it."""
    now = timezone.now()
    content_types = {}
    events = []
    for record in records:
        model = type(record.obj)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        events.append(
            AuditEvent(
                at=now,
                actor_kind=actor.kind,
                actor_user=actor.user,
                actor_name=actor.name[:200],
                action=record.action,
                content_type=content_types[model],
                object_id=record.obj.pk,
                object_repr=str(record.obj)[:300],
                case=record.case or "",
                reason=record.reason,
                before={},
                after=record.after or {},
            )
        )
    return AuditEvent.objects.bulk_create(events, batch_size=1000)


# The columns audit_record_each fills, in the order of the SELECT that fills them.
_COLUMNS = (
    "at",
    "actor_kind",
    "actor_user_id",
    "actor_name",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "case",
    "reason",
    "before",
    "after",
)


def audit_record_each(
    rows: QuerySet,
    *,
    actor: Actor,
    action: str,
    reason: str,
    before: dict,
    after: dict,
    case: str = "",
    repr_field: str,
    now: datetime,
) -> int:
    """One event per row of `rows` (any model's queryset), written by a single INSERT …
    SELECT: the events never pass through Python, so a hundred thousand cost one statement.
    `repr_field` names the column that describes each row (a title, say). On PostgreSQL the
    rows are locked (FOR UPDATE) as they are read, so a concurrent change waits for us and
    an UPDATE that follows in the same transaction changes exactly the rows audited here.
    Returns how many events were written."""
    json = JSONField()
    select = (
        rows.select_for_update(of=("self",))
        .order_by()
        .annotate(
            a_at=Value(now, output_field=DateTimeField()),
            a_actor_kind=Value(actor.kind),
            a_actor_user_id=Value(actor.user.pk if actor.user else None, IntegerField()),
            a_actor_name=Value(actor.name[:200]),
            a_action=Value(action),
            a_content_type_id=Value(
                ContentType.objects.get_for_model(rows.model).pk, IntegerField()
            ),
            a_object_id=F("pk"),
            a_object_repr=Substr(repr_field, 1, 300),
            a_case=Value(case or ""),
            a_reason=Value(reason),
            a_before=Value(before, output_field=json),
            a_after=Value(after, output_field=json),
        )
        # values() keeps this order in the SELECT list (Django >= 5.2).
        .values(*(f"a_{column}" for column in _COLUMNS))
    )
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in _COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) {sql}", params)
        return cursor.rowcount
