"""The quantitative tables of the DSA transparency report template (Commission
Implementing Regulation (EU) 2024/2835, Annex I, part II, section 1) that apply to a
hosting service such as courtesy, for one period (a calendar half-year or year):

- 1.1 report identification;
- 1.3 notices under Article 16: by category of illegal content and by submitter type,
  the actions taken (on the basis of the law or of the terms and conditions, by type of
  restriction), those processed by automated means, the median time to take action;
- 1.5 complaints against decisions (courtesy's counter-notices) and their outcomes;
- 1.6 suspensions under Article 23 of senders of manifestly unfounded notices (and the
  warnings that precede them).

Labels are short reconstructions of the annex's rows and columns, not its text. Categories
come from the mapping the statements of reasons use (exports.DSA_CATEGORY), so a notice is
counted under the category its statement names. Not tracked by courtesy and so not
reported: Member State orders (1.2), own-initiative moderation (1.4), out-of-court
settlement (online platforms only) and the human-resources and user figures of very large
platforms (1.7, 1.8). Notices from a trusted flagger (Art. 22) count as the trusted
flagger's, whatever role the request names.

A notice is counted in the period it was received; its outcome is where it stands now.
"""

import csv
import io
import json
import statistics
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.utils import timezone

from compliance.takedowns.models import CounterNotice, RemovalRequest, SenderMeasure

from .exports import DSA_CATEGORY, LEGAL_GROUND
from .periods import Period

Status = RemovalRequest.Status
Ground = RemovalRequest.Ground
Role = RemovalRequest.Role
REGULATION = "Commission Implementing Regulation (EU) 2024/2835, Annex I, quantitative template"
CARRIED_OUT = (Status.COMPLETED, Status.REVERSED)
OPEN = (Status.RECEIVED, Status.VERIFIED, Status.APPROVED, Status.PROCESSING)

# The categories in the template's order, with their labels (the statement categories).
CATEGORIES = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE": "Animal welfare",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": "Data protection and privacy",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": "Illegal or harmful speech",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": "Intellectual property",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": (
        "Negative effects on civic discourse or elections"
    ),
    "STATEMENT_CATEGORY_CYBER_VIOLENCE": "Cyber violence",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN": "Cyber violence against women",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": "Protection of minors",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": "Risk for public security",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": "Scams and fraud",
    "STATEMENT_CATEGORY_SELF_HARM": "Self-harm",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": "Unsafe and prohibited products",
    "STATEMENT_CATEGORY_VIOLENCE": "Violence",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION": "Consumer information infringements",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE": "Not specified in the notice",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": "Other violation of terms and conditions",
}
# Who submitted the notice: trusted flaggers (Art. 22) separately, then the others by role.
TRUSTED_FLAGGER = "trusted_flagger"
SUBMITTER_TYPES = {
    TRUSTED_FLAGGER: "Trusted flagger",
    Role.AUTHOR: "Author of the content",
    Role.RIGHTS_HOLDER: "Rights holder or site representative",
    Role.AGENT: "Authorised agent",
    Role.OTHER: "Other or not stated",
}
# The template's types of restriction; courtesy disables access (the page answers 451).
RESTRICTIONS = [
    ("visibility_removed", "Visibility: content removed"),
    ("visibility_disabled", "Visibility: access disabled"),
    ("visibility_demoted", "Visibility: content demoted"),
    ("visibility_age", "Visibility: age-restricted"),
    ("visibility_interaction", "Visibility: interaction restricted"),
    ("visibility_labelled", "Visibility: content labelled"),
    ("visibility_other", "Visibility: other"),
    ("monetary", "Monetary restriction"),
    ("service", "Suspension or termination of the service"),
    ("account", "Suspension or termination of the account"),
]
APPLIED_RESTRICTION = "visibility_disabled"
NOTICE_COLUMNS = [
    "Notices received",
    "Action taken on the basis of the law",
    "Action taken on the basis of the terms and conditions",
    "No action taken",
    "Withdrawn",
    "Pending",
    "Processed by automated means",
    "Median time to take action (hours)",
]


@dataclass
class Table:
    id: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "row_header": self.row_header,
            "columns": self.columns,
            "rows": [{"label": row[0], "values": dict(zip(self.columns, row[1:], strict=True))}
                     for row in self.rows],
        }  # fmt: skip

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
        writer.writerow([self.row_header, *self.columns])
        writer.writerows(["" if v is None else v for v in row] for row in self.rows)
        return out.getvalue()


def _median_hours(durations) -> float | None:
    hours = [d.total_seconds() / 3600 for d in durations if d is not None]
    return round(statistics.median(hours), 1) if hours else None


def _legal(ground: str) -> bool:
    return (ground or Ground.OTHER) in LEGAL_GROUND


# Who submitted a notice, as SUBMITTER_TYPES names them: its trusted flagger, else its role.
SUBMITTER = Case(
    When(trusted_flagger__isnull=False, then=Value(TRUSTED_FLAGGER)),
    default=F("role"),
    output_field=CharField(),
)


def _notices(period: Period):
    return RemovalRequest.objects.filter(
        received_at__gte=period.start, received_at__lt=period.end
    ).annotate(submitter=SUBMITTER)


def _outcomes(notices, key: str) -> dict:
    """Per value of `key` (and per ground), the counts of each outcome: one query."""
    carried = Q(status__in=CARRIED_OUT)
    return {
        (row[key], row["ground"]): row
        for row in notices.values(key, "ground").annotate(
            received=Count("id"),
            carried=Count("id", filter=carried),
            rejected=Count("id", filter=Q(status=Status.REJECTED)),
            withdrawn=Count("id", filter=Q(status=Status.WITHDRAWN)),
            pending=Count("id", filter=Q(status__in=OPEN)),
            automated=Count("id", filter=Q(approved_automatically=True)),
        )
    }


def _durations(notices, key: str) -> dict:
    """Times from receipt to action, per value of `key`: one query over the carried out."""
    found: dict = {}
    for value, ground, received, completed in notices.filter(
        status__in=CARRIED_OUT, completed_at__isnull=False
    ).values_list(key, "ground", "received_at", "completed_at"):
        found.setdefault((value, ground), []).append(completed - received)
    return found


def _row(label: str, outcomes: list[dict], durations: list) -> list:
    def total(name, legal=None):
        return sum(o[name] for o in outcomes if legal is None or _legal(o["ground"]) == legal)

    return [
        label,
        total("received"),
        total("carried", legal=True),
        total("carried", legal=False),
        total("rejected"),
        total("withdrawn"),
        total("pending"),
        total("automated"),
        _median_hours(durations),
    ]


def _by(period: Period, key: str, labels: dict, to_label) -> list[list]:
    notices = _notices(period)
    outcomes, durations = _outcomes(notices, key), _durations(notices, key)
    rows = []
    for code, label in labels.items():
        mine = [o for (value, _), o in outcomes.items() if to_label(value, o["ground"]) == code]
        times = [
            t for (value, g), ts in durations.items() if to_label(value, g) == code for t in ts
        ]
        rows.append(_row(label, mine, times))
    every_time = [t for ts in durations.values() for t in ts]
    rows.append(_row("Total", list(outcomes.values()), every_time))
    return rows


def _category(_, ground) -> str:
    return DSA_CATEGORY[ground or Ground.OTHER]


def _submitter(role, _) -> str:
    return role if role in SUBMITTER_TYPES else Role.OTHER


def notices_by_category(period: Period) -> Table:
    table = Table(
        "1.3_notices_by_category",
        "Article 15(1)(b): notices by category of alleged illegal content",
        "Category",
        NOTICE_COLUMNS,
    )
    table.rows = _by(period, "ground", CATEGORIES, _category)
    return table


def notices_by_submitter(period: Period) -> Table:
    table = Table(
        "1.3_notices_by_submitter",
        "Article 15(1)(b): notices by type of submitter",
        "Submitter type",
        NOTICE_COLUMNS,
    )
    table.rows = _by(period, "submitter", SUBMITTER_TYPES, _submitter)
    return table


def actions_by_restriction(period: Period) -> Table:
    table = Table(
        "1.3_actions_by_restriction",
        "Article 15(1)(b): actions taken on notices, by type of restriction",
        "Type of restriction",
        ["On the basis of the law", "On the basis of the terms and conditions", "Total"],
    )
    counts = (
        _notices(period)
        .filter(status__in=CARRIED_OUT)
        .aggregate(
            law=Count("id", filter=Q(ground__in=list(LEGAL_GROUND))),
            total=Count("id"),
        )
    )
    for code, label in RESTRICTIONS:
        if code == APPLIED_RESTRICTION:
            law, total = counts["law"], counts["total"]
            table.rows.append([label, law, total - law, total])
        else:
            table.rows.append([label, 0, 0, 0])  # courtesy takes no other measure
    return table


def complaints(period: Period) -> Table:
    """Counter-notices: the affected author's complaint against a takedown decision."""
    table = Table(
        "1.5_complaints",
        "Article 15(1)(d): complaints against decisions (counter-notices), by outcome",
        "Outcome",
        ["Complaints", "Median time to decide (hours)"],
    )
    received = CounterNotice.objects.filter(
        received_at__gte=period.start, received_at__lt=period.end
    )
    rows = received.values_list("received_at", "restored_at", "cancelled_at")
    restored = [r - got for got, r, _ in rows if r]
    upheld = [c - got for got, _, c in rows if c]
    pending = sum(1 for _, r, c in rows if not r and not c)
    table.rows = [
        ["Decision reversed (content restored)", len(restored), _median_hours(restored)],
        ["Decision upheld (legal action filed)", len(upheld), _median_hours(upheld)],
        ["Pending", pending, None],
        ["Total", len(rows), _median_hours(restored + upheld)],
    ]
    return table


def suspensions(period: Period) -> Table:
    """Article 23 measures issued in the period (compliance.takedowns.abuse): how many of
    them staff lifted and how many were still in force when the period ended."""
    table = Table(
        "1.6_suspensions",
        "Article 24(1)(b): suspensions under Article 23 for manifestly unfounded notices",
        "Measure",
        ["Issued", "Lifted", "In force at the end of the period"],
    )
    end = period.end
    lifted = Q(lifted_at__isnull=False, lifted_at__lt=end)
    counts = {
        row["kind"]: row
        for row in SenderMeasure.objects.filter(issued_at__gte=period.start, issued_at__lt=end)
        .values("kind")
        .annotate(
            issued=Count("id"),
            lifted=Count("id", filter=lifted),
            in_force=Count("id", filter=~lifted & Q(ends_at__gt=end)),
        )
    }
    labels = {
        SenderMeasure.Kind.SUSPENSION: "Suspensions (processing of notices suspended)",
        SenderMeasure.Kind.WARNING: "Prior warnings",
    }
    for kind, label in labels.items():
        found = counts.get(kind, {})
        table.rows.append([label, *(found.get(k, 0) for k in ("issued", "lifted", "in_force"))])
    table.rows.append(["Total", *(sum(r[i] for r in table.rows) for i in (1, 2, 3))])
    return table


def identification(period: Period) -> Table:
    table = Table("1.1_report_identification", "Report identification", "Field", ["Value"])
    table.rows = [
        ["Provider", settings.SITE_NAME],
        ["Service", settings.SITE_URL],
        ["Type of service", "Hosting service"],
        ["Reporting period start", f"{period.first_day:%Y-%m-%d}"],
        ["Reporting period end", f"{period.last_day:%Y-%m-%d}"],
        ["Time zone", period.time_zone],
        ["Generated at", timezone.now().isoformat(timespec="seconds")],
        ["Template", REGULATION],
    ]
    return table


# In the template's order.
TABLES = [
    identification,
    notices_by_category,
    notices_by_submitter,
    actions_by_restriction,
    complaints,
    suspensions,
]


def dsa_template(period: Period) -> list[Table]:
    return [build(period) for build in TABLES]


def template_json(period: Period, tables: list[Table]) -> str:
    data = {
        "template": REGULATION,
        "period": {"first_day": f"{period.first_day:%Y-%m-%d}",
                   "last_day": f"{period.last_day:%Y-%m-%d}", "time_zone": period.time_zone},
        "tables": {table.id: table.as_dict() for table in tables},
    }  # fmt: skip
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def template_files(period: Period) -> dict[str, str]:
    """File name -> text: one CSV per table and the JSON of all of them."""
    tables = dsa_template(period)
    stem = f"dsa-transparency-{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}"
    files = {f"{stem}-{table.id}.csv": table.as_csv() for table in tables}
    files[f"{stem}.json"] = template_json(period, tables)
    return files


def template_zip(period: Period) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in template_files(period).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
