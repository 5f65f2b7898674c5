"""The figures of a compliance report.

Every figure is computed by the database (counts, conditional aggregates, percentiles,
window functions), so a report costs the same fixed number of queries whatever the
number of items and requests: `report_figures` runs REPORT_QUERIES queries and
`report_rows` one more. Python only reshapes the handful of rows the queries return.

Time conventions (shared with the takedown jobs): a request is received at `received_at`,
completed at `completed_at`, rejected at `decided_at`, withdrawn and reversed at
`closed_at`. An item is published at `republished_at`; hidden or withheld at
`status_changed_at` (found through their "item.hidden"/"item.withheld" audit events); a
stay-down hit is an item ingested (`ingested_at`) in the period and withheld by a rule; an
item found by the re-check is one the periodic re-check took down in the period.
Self-checks are "request.self_check" audit events.
"""

from datetime import timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    Q,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.utils import timezone

from compliance.audit.models import AuditEvent
from compliance.items.models import Item, LicenceBasis
from compliance.items.status import LICENCE_EXPIRED, RECHECK
from compliance.licensing.presence import RECHECK_ACTOR as ORIGINAL_RECHECK
from compliance.takedowns.models import RemovalRequest

from .invariants import completed_requests_still_published, published_blocked_items
from .periods import Period
from .sql import PercentileCont, Seconds

# How many queries report_figures runs, for any amount of data; on PostgreSQL one more
# (the invariant switches the JIT off for its statement, see items.staydown).
REPORT_QUERIES = 12

Status = RemovalRequest.Status
# Buckets of the time-to-completion chart, in hours: [low, high).
COMPLETION_BUCKETS = [(0, 6), (6, 12), (12, 24), (24, 48), (48, 72), (72, None)]
LICENCE_WARNING_DAYS = 30


def _within(field: str, period: Period) -> Q:
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _iso(value, zone=None) -> str | None:
    """ISO 8601 with the offset, on the report's local clock when `zone` is given."""
    if not value:
        return None
    return (value.astimezone(zone) if zone else value).isoformat()


# --- requests -------------------------------------------------------------------------------


def _request_counts(period: Period) -> dict:
    """Requests received (by channel, ground and role) and the outcomes reached in the
    period: one query with conditional counts."""
    received = _within("received_at", period)
    outcomes = {
        "completed": _within("completed_at", period),
        "rejected": Q(status=Status.REJECTED) & _within("decided_at", period),
        "withdrawn": Q(status=Status.WITHDRAWN) & _within("closed_at", period),
        "reversed": Q(status=Status.REVERSED) & _within("closed_at", period),
    }
    groups = {
        "by_channel": ("channel", [*RemovalRequest.Channel.values]),
        "by_ground": ("ground", [*RemovalRequest.Ground.values, ""]),
        "by_role": ("role", [*RemovalRequest.Role.values, ""]),
    }
    aggregates = {"received": Count("id", filter=received)}
    aliases = {}
    for group, (field, values) in groups.items():
        for n, value in enumerate(values):
            alias = f"{group}_{n}"
            aliases[alias] = (group, value or "unspecified")
            aggregates[alias] = Count("id", filter=received & Q(**{field: value}))
    aggregates.update({name: Count("id", filter=q) for name, q in outcomes.items()})
    anything = received
    for q in outcomes.values():
        anything |= q
    row = RemovalRequest.objects.filter(anything).aggregate(**aggregates)
    counts = {"received": row["received"], **{name: row[name] for name in outcomes}}
    for group in groups:
        counts[group] = {}
    for alias, (group, value) in aliases.items():
        counts[group][value] = row[alias]
    return counts


def _completion(period: Period) -> dict:
    """Time from receipt to completion of the requests completed in the period: count,
    median, 90th percentile, maximum, the share within the time limit (due_at) and the
    share approved automatically, and the histogram of the chart. One query."""
    completed = RemovalRequest.objects.filter(_within("completed_at", period)).annotate(
        seconds=Seconds(F("completed_at"), F("received_at"))
    )
    bucket_filters = [
        Q(seconds__gte=low * 3600) & (Q(seconds__lt=high * 3600) if high else Q())
        for low, high in COMPLETION_BUCKETS
    ]
    if connection.vendor == "postgresql":
        row = completed.aggregate(
            n=Count("id"),
            max=Max("seconds"),
            median=PercentileCont("seconds", 0.5),
            p90=PercentileCont("seconds", 0.9),
            within=Count("id", filter=Q(completed_at__lte=F("due_at"))),
            auto=Count("id", filter=Q(approved_automatically=True)),
            **{f"b{n}": Count("id", filter=q) for n, q in enumerate(bucket_filters)},
        )
    else:
        row = _completion_portable(completed, bucket_filters)
    n = row["n"] or 0
    return {
        "count": n,
        "median_hours": _hours(row["median"]),
        "p90_hours": _hours(row["p90"]),
        "max_hours": _hours(row["max"]),
        "within_time_limit": row["within"] or 0,
        "share_within_time_limit": _share(row["within"] or 0, n),
        "approved_automatically": row["auto"] or 0,
        "share_approved_automatically": _share(row["auto"] or 0, n),
        "histogram": [
            {"low_hours": low, "high_hours": high, "count": row[f"b{i}"] or 0}
            for i, (low, high) in enumerate(COMPLETION_BUCKETS)
        ],
    }


def _completion_portable(completed, bucket_filters) -> dict:
    """The same figures without PERCENTILE_CONT (SQLite has none): the durations are
    numbered in order by a window function and one outer query picks the two order
    statistics around each percentile's position, 1 + p * (n - 1), as PERCENTILE_CONT
    does. Still one query whatever the size; only the final linear interpolation
    between those two numbers happens in Python."""
    inner = completed.annotate(
        rn=Window(RowNumber(), order_by=F("seconds").asc()),
        total=Window(Count("id")),
        is_within=Case(
            When(completed_at__lte=F("due_at"), then=1), default=0, output_field=IntegerField()
        ),
        is_auto=Case(
            When(approved_automatically=True, then=1), default=0, output_field=IntegerField()
        ),
        **{
            f"b{n}": Case(When(q, then=1), default=0, output_field=IntegerField())
            for n, q in enumerate(bucket_filters)
        },
    ).values(
        "seconds",
        "rn",
        "total",
        "is_within",
        "is_auto",
        *[f"b{n}" for n in range(len(bucket_filters))],
    )
    sql, params = inner.query.sql_with_params()
    picks = []
    for p in (0.5, 0.9):
        position = f"CAST({p} * (total - 1) AS INTEGER) + 1"
        picks += [
            f"MAX(CASE WHEN rn = {position} THEN seconds END)",
            f"MAX(CASE WHEN rn = {position} + 1 THEN seconds END)",
        ]
    buckets = ", ".join(f"SUM(b{n})" for n in range(len(bucket_filters)))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX(seconds), SUM(is_within), SUM(is_auto), {', '.join(picks)}, "
            f"{buckets} FROM ({sql}) AS durations",
            params,
        )
        n, longest, within, auto, m_lo, m_hi, p_lo, p_hi, *bucket_counts = cursor.fetchone()

    def interpolate(p, low, high):
        if low is None:
            return None
        position = p * (n - 1)
        fraction = position - int(position)
        return low + fraction * ((high if high is not None else low) - low)

    return {
        "n": n,
        "max": longest,
        "median": interpolate(0.5, m_lo, m_hi),
        "p90": interpolate(0.9, p_lo, p_hi),
        "within": within,
        "auto": auto,
        **{f"b{i}": count for i, count in enumerate(bucket_counts)},
    }


def _ended_at():
    """When a request stopped being open (null while it is open)."""
    return Case(
        When(
            status__in=[Status.COMPLETED, Status.REVERSED],
            then=Coalesce("completed_at", "closed_at", "received_at"),
        ),
        When(status=Status.REJECTED, then=Coalesce("decided_at", "closed_at", "received_at")),
        When(status=Status.WITHDRAWN, then=Coalesce("closed_at", "decided_at", "received_at")),
        default=Value(None),
        output_field=DateTimeField(),
    )


def _open_at_end(period: Period) -> list[dict]:
    """Requests open when the period ended (received before its end, not yet completed,
    rejected or withdrawn by then), oldest deadline first. One query."""
    end = period.end
    rows = (
        RemovalRequest.objects.filter(received_at__lt=end)
        .annotate(ended_at=_ended_at())
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=end))
        .order_by("due_at", "id")
        .values("reference", "received_at", "due_at", "status", "assignee__username")
    )
    return [
        {
            "reference": row["reference"],
            "received_at": _iso(row["received_at"], period.zone),
            "due_at": _iso(row["due_at"], period.zone),
            "age_hours": _hours((end - row["received_at"]).total_seconds()),
            "assignee": row["assignee__username"] or "",
            "overdue": row["due_at"] < end,
        }
        for row in rows
    ]


def _per_day(period: Period) -> list[dict]:
    """Requests received and completed on each local day of the period: one query (a
    UNION ALL of two grouped counts)."""
    zone = period.zone

    def per_day(field: str, series: str):
        return (
            RemovalRequest.objects.filter(_within(field, period))
            .annotate(day=TruncDate(field, tzinfo=zone))
            .values("day")
            .annotate(n=Count("id"), series=Value(series))
            .values_list("day", "series", "n")
            .order_by()
        )

    counts = {day: {"received": 0, "completed": 0} for day in period.days}
    for day, series, n in per_day("received_at", "received").union(
        per_day("completed_at", "completed"), all=True
    ):
        counts.setdefault(day, {"received": 0, "completed": 0})[series] += n
    return [{"day": day.isoformat(), **counts[day]} for day in sorted(counts)]


# --- items ----------------------------------------------------------------------------------


ITEM_STATUS_EVENTS = ("item.hidden", "item.withheld")


def _items_by_origin(period: Period) -> list[dict]:
    """Per origin: items published, hidden, withheld by a rule, withheld because the
    licence expired, withheld for another reason, and stay-down hits, in the period. Two
    grouped queries.

    Hidden and withheld are counted on the items' own fields (their status now, changed
    in the period), but the candidates are found through the audit trail, which holds an
    "item.hidden" or "item.withheld" event, indexed by time, for every such change (the
    item services write it in the same statement group as the change). Scanning every
    hidden or withheld item ever would cost a pass over the items table instead."""
    changed = _within("status_changed_at", period)
    withheld_by_rule = Q(status=Item.Status.WITHHELD, status_rule__isnull=False)
    # The item services record exactly this reason for an expired licence; other withheld
    # items without a rule (origin blocked, licence not yet valid, disclaimer template
    # error) are counted apart rather than passed off as expired licences.
    withheld_no_rule = Q(status=Item.Status.WITHHELD, status_rule__isnull=True)
    licence_expired = Q(status_reason=LICENCE_EXPIRED)
    counts = {
        "hidden": Q(status=Item.Status.HIDDEN) & changed,
        "withheld_by_rule": withheld_by_rule & changed,
        "withheld_licence_expired": withheld_no_rule & licence_expired & changed,
        "withheld_other": withheld_no_rule & ~licence_expired & changed,
        "stay_down_hits": withheld_by_rule & _within("ingested_at", period),
    }
    changed_in_period = AuditEvent.objects.filter(
        _within("at", period),
        action__in=ITEM_STATUS_EVENTS,
        content_type__app_label=Item._meta.app_label,
        content_type__model=Item._meta.model_name,
    ).values("object_id")
    grouped = ("origin_id", "origin__name", "origin__domain")
    origins: dict[int, dict] = {}

    def merge(rows, names):
        for row in rows:
            entry = origins.setdefault(
                row["origin_id"],
                {
                    "origin": row["origin__name"],
                    "domain": row["origin__domain"],
                    "published": 0,
                    **dict.fromkeys(counts, 0),
                },
            )
            for name in names:
                entry[name] = row[name]

    merge(
        Item.objects.filter(_within("republished_at", period))
        .values(*grouped)
        .annotate(published=Count("id"))
        .order_by(),
        ["published"],
    )
    merge(
        Item.objects.filter(pk__in=changed_in_period)
        .values(*grouped)
        .annotate(**{name: Count("id", filter=q) for name, q in counts.items()})
        .order_by(),
        list(counts),
    )
    rows = [
        entry for entry in origins.values() if any(entry[name] for name in ("published", *counts))
    ]
    return sorted(rows, key=lambda entry: (entry["origin"], entry["domain"]))


def _licences_expiring(period: Period) -> list[dict]:
    """Licence bases that expire within 30 days after the period, with how many origins
    rely on them by default. One query."""
    until = period.end + timedelta(days=LICENCE_WARNING_DAYS)
    rows = (
        LicenceBasis.objects.filter(expires_at__gte=period.end, expires_at__lt=until)
        .annotate(origin_count=Count("origins"))
        .order_by("expires_at", "id")
        .values("id", "name", "kind", "expires_at", "origin_count")
    )
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "kind": row["kind"],
            "expires_at": _iso(row["expires_at"], period.zone),
            "origins": row["origin_count"],
        }
        for row in rows
    ]


def _found_by_recheck(period: Period) -> int:
    """Published items the periodic re-check took down in the period: a rule that covered
    them while they were shown (zero when every other path kept the promise). One query."""
    return _hidden_by(RECHECK, period)


def _removed_at_origin(period: Period) -> int:
    """Items hidden in the period because their original was removed at the origin (the
    re-check of compliance.licensing.presence). One query."""
    return _hidden_by(ORIGINAL_RECHECK, period)


def _hidden_by(job, period: Period) -> int:
    """Items a system job hid in the period."""
    return AuditEvent.objects.filter(
        _within("at", period), action="item.hidden", actor_kind=job.kind, actor_name=job.name
    ).count()


def _failed_self_checks(period: Period) -> list[dict]:
    rows = (
        AuditEvent.objects.filter(
            _within("at", period), action="request.self_check", after__passed=False
        )
        .order_by("at", "id")
        .values("at", "case", "object_repr", "reason")
    )
    return [
        {
            "at": _iso(row["at"], period.zone),
            "reference": row["case"] or row["object_repr"],
            "reason": row["reason"],
        }
        for row in rows
    ]


# --- the report -----------------------------------------------------------------------------


def report_figures(*, period: Period, now=None) -> dict:
    """Every figure of the report for `period`, JSON-ready. Invariants are checked as
    they stand now; everything else is about the period."""
    now = now or timezone.now()
    requests = _request_counts(period)
    open_at_end = _open_at_end(period)
    items = _items_by_origin(period)
    totals = {
        name: sum(row[name] for row in items)
        for name in (
            "published",
            "hidden",
            "withheld_by_rule",
            "withheld_licence_expired",
            "withheld_other",
            "stay_down_hits",
        )
    }
    return {
        "period": {
            "kind": period.kind,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "start": _iso(period.start, period.zone),
            "end": _iso(period.end, period.zone),
            "time_zone": period.time_zone,
            "hours": period.hours,
        },
        "generated_at": _iso(now, period.zone),
        "invariants": {
            "published_blocked": published_blocked_items(),
            "completed_still_published": completed_requests_still_published(),
        },
        "requests": requests,
        "open_at_end": open_at_end,
        "open_count": len(open_at_end),
        "overdue_count": sum(1 for row in open_at_end if row["overdue"]),
        "completion": _completion(period),
        "per_day": _per_day(period),
        "items_by_origin": items,
        "items_totals": totals,
        "licences_expiring": _licences_expiring(period),
        "failed_self_checks": _failed_self_checks(period),
        "found_by_recheck": _found_by_recheck(period),
        "removed_at_origin": _removed_at_origin(period),
    }


CSV_COLUMNS = [
    "reference",
    "status",
    "channel",
    "role",
    "ground",
    "scope",
    "future",
    "origin",
    "targets",
    "approved_automatically",
    "assignee",
    "received_at",
    "verified_at",
    "due_at",
    "decided_at",
    "completed_at",
    "closed_at",
    "hours_to_completion",
    "completed_in_time",
]


def report_rows(*, period: Period) -> list[dict]:
    """One row per request of the period (received, decided, completed or closed in it)
    with its timestamps, for the CSV. No personal data. One query."""
    zone = period.zone
    active = (
        _within("received_at", period)
        | _within("completed_at", period)
        | _within("decided_at", period)
        | _within("closed_at", period)
    )
    rows = (
        RemovalRequest.objects.filter(active)
        .annotate(target_count=Count("targets"))
        .order_by("received_at", "id")
        .values(
            "reference",
            "status",
            "channel",
            "role",
            "ground",
            "scope",
            "future",
            "origin__domain",
            "target_count",
            "approved_automatically",
            "assignee__username",
            "received_at",
            "verified_at",
            "due_at",
            "decided_at",
            "completed_at",
            "closed_at",
        )
    )

    def local(value):
        return value.astimezone(zone).isoformat() if value else ""

    result = []
    for row in rows:
        completed_at = row["completed_at"]
        result.append(
            {
                "reference": row["reference"],
                "status": row["status"],
                "channel": row["channel"],
                "role": row["role"],
                "ground": row["ground"],
                "scope": row["scope"],
                "future": row["future"],
                "origin": row["origin__domain"] or "",
                "targets": row["target_count"],
                "approved_automatically": row["approved_automatically"],
                "assignee": row["assignee__username"] or "",
                **{
                    field: local(row[field])
                    for field in (
                        "received_at",
                        "verified_at",
                        "due_at",
                        "decided_at",
                        "completed_at",
                        "closed_at",
                    )
                },
                "hours_to_completion": _hours((completed_at - row["received_at"]).total_seconds())
                if completed_at
                else "",
                "completed_in_time": (completed_at <= row["due_at"]) if completed_at else "",
            }
        )
    return result
