"""The weekly compliance report over 1,000,000 items and 100,000 removal requests (two years
of data), compared with one raw SQL aggregate over the same tables in the same run: a
single statement that reads every item and every request once and counts them per origin
and per status. Target: the whole report (figures, CSV rows, HTML) at most 2x that, the two
measured interleaved (B R B R … B), each report run against the mean of the raw runs beside
it, five rounds, the median printed.

The data is bulk-loaded in the database itself: INSERT ... SELECT over generate_series on
PostgreSQL, over a recursive CTE on SQLite.

Run: `python -m bench.report` (or `make bench`); honours DATABASE_URL.
"""

import time
from datetime import UTC, date, datetime, timedelta

from bench.common import bench_database, interleaved, report_ratio

ITEMS = 1_000_000
REQUESTS = 100_000
ORIGINS = 200
RULES = 20_000
SELF_CHECKS = 20_000
SPAN_SECONDS = 2 * 365 * 24 * 3600  # the data covers two years up to END
END = datetime(2026, 3, 30, tzinfo=UTC)  # a Monday: the week before is the last full one
TARGET = 2.0
REPEAT = 5


class Dialect:
    def __init__(self, vendor: str):
        self.vendor = vendor

    def series(self, count: int) -> tuple[str, str]:
        """A (prefix, FROM clause) pair yielding n = 1..count."""
        if self.vendor == "postgresql":
            return "", f"FROM generate_series(1, {count}) AS s(n)"
        return (
            f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) "
        ), "FROM s"

    def ago(self, seconds: str) -> str:
        """END minus an integer SQL expression of seconds, as the column's datetime."""
        if self.vendor == "postgresql":
            return f"(TIMESTAMPTZ '{END:%Y-%m-%d %H:%M:%S}+00' - ({seconds}) * INTERVAL '1 second')"
        return f"datetime('{END:%Y-%m-%d %H:%M:%S}', '-' || ({seconds}) || ' seconds')"

    def plus_hours(self, timestamp: str, hours: str) -> str:
        if self.vendor == "postgresql":
            return f"({timestamp} + ({hours}) * INTERVAL '1 hour')"
        return f"datetime({timestamp}, '+' || ({hours}) || ' hours')"

    def hex64(self, value: str) -> str:
        if self.vendor == "postgresql":
            return f"lpad(to_hex({value}), 64, '0')"
        return f"printf('%064x', {value})"

    def boolean(self, condition: str) -> str:
        return f"({condition})"

    def json(self, text: str) -> str:
        return f"CAST('{text}' AS jsonb)" if self.vendor == "postgresql" else f"'{text}'"


def insert_select(connection, model, count: int, expressions: dict[str, str]) -> None:
    """INSERT `count` rows of `model` computed from n = 1..count. Columns not given take
    NULL when nullable, else the field's default (so a field added later does not break
    the benchmark)."""
    dialect = Dialect(connection.vendor)
    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.attname in expressions:
            columns.append(connection.ops.quote_name(field.column))
            values.append(expressions[field.attname].replace("%", "%%"))  # not parameters
        elif not field.null and not field.primary_key:
            default = field.get_default()
            columns.append(connection.ops.quote_name(field.column))
            values.append("%s")
            params.append(field.get_db_prep_save(default, connection))
    prefix, source = dialect.series(count)
    sql = (
        f"{prefix}INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} {source}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def load(connection) -> None:
    from compliance.audit.models import AuditEvent
    from compliance.items.models import BlockRule, Item, LicenceBasis, Origin
    from compliance.takedowns.models import RemovalRequest, RemovalTarget

    d = Dialect(connection.vendor)
    LicenceBasis.objects.bulk_create(
        LicenceBasis(
            name=f"Licence {n}", kind="syndication", expires_at=END + timedelta(days=n * 7)
        )
        for n in range(1, 9)
    )
    licences = list(LicenceBasis.objects.values_list("pk", flat=True))
    Origin.objects.bulk_create(
        Origin(
            domain=f"outlet{n}.example",
            name=f"Outlet {n}",
            home_page=f"https://outlet{n}.example/",
            licence_basis_id=licences[n % 8],
        )
        for n in range(ORIGINS)
    )
    # Two blocked origins with a subdomain each, and nothing published from them.
    Origin.objects.bulk_create(
        Origin(domain=domain, name=domain, home_page=f"https://{domain}/")
        for domain in ("blocked0.example", "blocked1.example", "news.blocked0.example")
    )
    first_origin = Origin.objects.order_by("pk").values_list("pk", flat=True)[0]
    blocked = dict(Origin.objects.filter(domain__startswith="blocked").values_list("domain", "pk"))

    # Rules: URL rules on hidden items (n multiple of 20), author rules on authors nobody
    # publishes under, origin rules on the blocked origins. No invariant is broken.
    insert_select(
        connection,
        BlockRule,
        RULES,
        {
            "kind": "CASE WHEN n % 10 = 0 THEN 'author' ELSE 'url' END",
            "origin_id": f"{first_origin} + (n * 20) % {ORIGINS}",
            "domain": f"'outlet' || ((n * 20) % {ORIGINS}) || '.example'",
            "url": "CASE WHEN n % 10 = 0 THEN '' ELSE 'https://x.example/' || (n * 20) END",
            "url_key": f"CASE WHEN n % 10 = 0 THEN '' ELSE {d.hex64('n * 20')} END",
            "text_fingerprint": f"CASE WHEN n % 10 = 0 THEN '' ELSE {d.hex64('n * 20 + 7')} END",
            "author": "CASE WHEN n % 10 = 0 THEN 'Blocked Author ' || n ELSE '' END",
            "author_key": "CASE WHEN n % 10 = 0 THEN 'blocked author ' || n ELSE '' END",
            "guid": "CASE WHEN n % 10 = 0 THEN '' ELSE 'guid-' || (n * 20) END",
            "case": "''",
            "is_active": d.boolean("1 = 1"),
            "created_at": d.ago(f"n * {SPAN_SECONDS // RULES}"),
        },
    )
    for domain in ("blocked0.example", "blocked1.example"):
        BlockRule.objects.create(kind="origin", origin_id=blocked[domain], domain=domain)
    rule = BlockRule.objects.order_by("pk").values_list("pk", flat=True)[0]

    # Items: 93 % published, 5 % hidden (n multiple of 20), 1.5 % withheld by a rule,
    # 0.5 % withheld because their licence expired.
    status = (
        "CASE WHEN n % 20 = 0 THEN 'hidden' WHEN n % 200 IN (1, 3, 5) THEN 'withheld' "
        "WHEN n % 200 = 7 THEN 'withheld' ELSE 'published' END"
    )
    ingested = d.ago(f"n * {SPAN_SECONDS // ITEMS}")
    insert_select(
        connection,
        Item,
        ITEMS,
        {
            "origin_id": f"{first_origin} + n % {ORIGINS}",
            "guid": "'guid-' || n",
            "original_url": f"'https://outlet' || (n % {ORIGINS}) || '.example/a/' || n",
            "url_key": d.hex64("n"),
            "slug": "'article-' || n",
            "title": "'Synthetic headline ' || n",
            "author": "'Invented Author ' || (n % 500)",
            "author_key": "'invented author ' || (n % 500)",
            "body": "'<p>Synthetic body ' || n || '</p>'",
            "text_fingerprint": d.hex64("n + 7"),
            "published_at": ingested,
            "ingested_at": ingested,
            "republished_at": f"CASE WHEN n % 200 IN (1, 3, 5) THEN NULL ELSE {ingested} END",
            "status": status,
            "status_changed_at": f"CASE WHEN n % 20 = 0 THEN {d.plus_hours(ingested, 'n % 72')} "
            f"ELSE {ingested} END",
            "status_reason": "CASE WHEN n % 200 = 7 THEN 'licence expired' ELSE '' END",
            "status_rule_id": f"CASE WHEN n % 200 IN (1, 3, 5) THEN {rule} ELSE NULL END",
            "status_case": "''",
            "article_host": "''",
        },
    )

    # Requests: every channel, role and ground; 2 % still open, 5 % rejected, 3 % withdrawn,
    # 1 % reversed, the rest completed 1 to 96 hours after receipt.
    received = d.ago(f"n * {SPAN_SECONDS // REQUESTS}")
    req_status = (
        "CASE WHEN n % 100 IN (0, 1) THEN 'received' WHEN n % 100 < 7 THEN 'rejected' "
        "WHEN n % 100 < 10 THEN 'withdrawn' WHEN n % 100 = 10 THEN 'reversed' "
        "ELSE 'completed' END"
    )
    done = d.plus_hours(received, "1 + n % 96")
    insert_select(
        connection,
        RemovalRequest,
        REQUESTS,
        {
            "reference": "'TD-B-' || n",
            "channel": "CASE n % 4 WHEN 0 THEN 'web' WHEN 1 THEN 'email' WHEN 2 THEN 'api' "
            "ELSE 'staff' END",
            "requester_email": "'requester' || n || '@rights.example'",
            "role": "CASE n % 3 WHEN 0 THEN 'author' WHEN 1 THEN 'rights_holder' ELSE 'agent' END",
            "ground": "CASE n % 5 WHEN 0 THEN 'copyright' WHEN 1 THEN 'licence_withdrawn' "
            "WHEN 2 THEN 'privacy' WHEN 3 THEN 'defamation' ELSE 'other' END",
            "urls": d.json("[]"),
            "status": req_status,
            "received_at": received,
            "due_at": d.plus_hours(received, "48"),
            "decided_at": f"CASE WHEN n % 100 >= 2 THEN {d.plus_hours(received, '1')} END",
            "approved_automatically": d.boolean("n % 3 = 0"),
            "completed_at": f"CASE WHEN n % 100 >= 10 THEN {done} END",
            "closed_at": f"CASE WHEN n % 100 >= 2 THEN {done} END",
            "status_token": "'token-' || n",
        },
    )
    first_request = RemovalRequest.objects.order_by("pk").values_list("pk", flat=True)[0]
    first_item = Item.objects.order_by("pk").values_list("pk", flat=True)[0]
    # One target per request: a hidden item.
    insert_select(
        connection,
        RemovalTarget,
        REQUESTS,
        {
            "request_id": f"{first_request} + n - 1",
            "url": "'https://x.example/' || n",
            "url_key": "''",
            "item_id": f"{first_item} - 1 + 20 * (1 + n % {ITEMS // 20 - 1})",
        },
    )
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(RemovalRequest).pk
    failed, passed = d.json('{"passed": false}'), d.json('{"passed": true}')
    insert_select(
        connection,
        AuditEvent,
        SELF_CHECKS,
        {
            "at": d.ago(f"n * {SPAN_SECONDS // SELF_CHECKS}"),
            "actor_kind": "'system'",
            "actor_name": "'self_check'",
            "action": "'request.self_check'",
            "content_type_id": str(content_type),
            "object_id": f"{first_request} + n * 5",
            "object_repr": "'TD-B-' || (n * 5)",
            "case": "'TD-B-' || (n * 5)",
            "reason": "''",
            "before": d.json("{}"),
            "after": f"CASE WHEN n % 50 = 0 THEN {failed} ELSE {passed} END",
        },
    )
    # The audit event the item services write with every status change.
    item_type = ContentType.objects.get_for_model(Item).pk
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (at, actor_kind, actor_name, action, content_type_id, "
            'object_id, object_repr, "case", reason, before, after) '
            f"SELECT status_changed_at, 'system', 'takedown', 'item.' || status, {item_type}, id, "
            f"title, '', '', {d.json('{}')}, {d.json('{}')} FROM items_item "
            "WHERE status <> 'published'"
        )
        cursor.execute("ANALYZE")


BASELINE_SQL = """
SELECT 'item', CAST(origin_id AS TEXT),
       SUM(CASE WHEN republished_at >= %(start)s AND republished_at < %(end)s THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'hidden' AND status_changed_at >= %(start)s
                 AND status_changed_at < %(end)s THEN 1 ELSE 0 END),
       SUM(CASE WHEN status = 'withheld' AND ingested_at >= %(start)s
                 AND ingested_at < %(end)s THEN 1 ELSE 0 END)
  FROM items_item GROUP BY origin_id
UNION ALL
SELECT 'request', status,
       SUM(CASE WHEN received_at >= %(start)s AND received_at < %(end)s THEN 1 ELSE 0 END),
       SUM(CASE WHEN completed_at >= %(start)s AND completed_at < %(end)s THEN 1 ELSE 0 END),
       COUNT(*)
  FROM takedowns_removalrequest GROUP BY status
"""


def main() -> bool:
    with bench_database() as connection:
        from compliance.reports.periods import Period, report_zone
        from compliance.reports.rendering import report_render

        started = time.perf_counter()
        load(connection)
        print(
            f"report: loaded {ITEMS:,} items and {REQUESTS:,} requests on "
            f"{connection.vendor} in {time.perf_counter() - started:.1f}s"
        )
        period = Period("weekly", date(2026, 3, 23), date(2026, 3, 29), report_zone("UTC"))
        params = {"start": period.start, "end": period.end}
        if connection.vendor == "sqlite":  # stored as naive UTC text
            params = {k: v.replace(tzinfo=None).isoformat(" ") for k, v in params.items()}

        def baseline():
            with connection.cursor() as cursor:
                cursor.execute(BASELINE_SQL, params)
                cursor.fetchall()

        rendered = report_render(period=period)
        figures = rendered.figures
        print(
            f"report: the week has {figures['requests']['received']} requests received, "
            f"{figures['items_totals']['published']} items published, "
            f"{figures['open_count']} requests open at its end, "
            f"{len(rendered.csv.splitlines()) - 1} CSV rows; broken promises: "
            f"{len(figures['invariants']['published_blocked'])}"
            f"+{len(figures['invariants']['completed_still_published'])}"
        )
        baseline()  # warm up the raw aggregate too
        ratio, measured, base = interleaved(
            baseline, {"report": lambda: report_render(period=period)}, repeat=REPEAT
        )["report"]
        return report_ratio(f"weekly report ({connection.vendor})", ratio, measured, base, TARGET)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
