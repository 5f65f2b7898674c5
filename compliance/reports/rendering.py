"""A report's three formats from one set of figures: HTML (with inline SVG charts, inline
styles, no script and no external asset, for a mail client and a browser alike), CSV
(one row per request of the period) and JSON (every figure)."""

import csv
import io
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from compliance.takedowns.models import RemovalRequest

from . import charts
from .figures import CSV_COLUMNS, report_figures, report_rows
from .periods import Period

FORMATS = ("html", "csv", "json")


@dataclass(frozen=True)
class RenderedReport:
    period: Period
    figures: dict
    html: str
    csv: str

    @property
    def json(self) -> str:
        return figures_json(self.figures)

    def as_format(self, fmt: str) -> str:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        return getattr(self, fmt)


def figures_json(figures: dict) -> str:
    return json.dumps(figures, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"


def rows_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _percent(share) -> str:
    return "n/a" if share is None else f"{share * 100:.1f} %"


def _hours(hours) -> str:
    return "n/a" if hours is None else f"{hours:.1f} h"


def report_html(figures: dict, *, title: str) -> str:
    invariants = figures["invariants"]
    breaches = len(invariants["published_blocked"]) + len(invariants["completed_still_published"])
    completion = figures["completion"]
    histogram = [
        {**bucket, "label": charts.bucket_label(bucket["low_hours"], bucket["high_hours"])}
        for bucket in completion["histogram"]
    ]
    labels = {
        "by_channel": ("Channel", dict(RemovalRequest.Channel.choices)),
        "by_ground": ("Ground", dict(RemovalRequest.Ground.choices)),
        "by_role": ("Requester's role", dict(RemovalRequest.Role.choices)),
    }
    breakdowns = [
        (
            heading,
            [
                (names.get(value, value.capitalize()), n)
                for value, n in figures["requests"][group].items()
            ],
        )
        for group, (heading, names) in labels.items()
    ]
    display = {
        "median": _hours(completion["median_hours"]),
        "p90": _hours(completion["p90_hours"]),
        "max": _hours(completion["max_hours"]),
        "within": _percent(completion["share_within_time_limit"]),
        "auto": _percent(completion["share_approved_automatically"]),
    }
    requests, totals = figures["requests"], figures["items_totals"]
    summary = [
        ("Requests received", requests["received"]),
        ("Requests completed", requests["completed"]),
        ("Requests rejected", requests["rejected"]),
        ("Requests withdrawn", requests["withdrawn"]),
        ("Requests reversed (content restored)", requests["reversed"]),
        ("Open at the end of the period", figures["open_count"]),
        ("Overdue at the end of the period", figures["overdue_count"]),
        ("Time to completion: median", display["median"]),
        ("Time to completion: 90th percentile", display["p90"]),
        ("Time to completion: longest", display["max"]),
        ("Completed within the time limit", display["within"]),
        ("Approved automatically (of those completed)", display["auto"]),
        ("Items published", totals["published"]),
        ("Items hidden", totals["hidden"]),
        ("Items withheld by a block rule", totals["withheld_by_rule"]),
        ("Items withheld, licence expired", totals["withheld_licence_expired"]),
        (
            "Items withheld for another reason (origin blocked, licence not yet valid, "
            "disclaimer error)",
            totals["withheld_other"],
        ),
        ("Stay-down hits (ingested items stopped by a rule)", totals["stay_down_hits"]),
        ("Found by the re-check (shown while a rule covered them)", figures["found_by_recheck"]),
        ("Items hidden because removed at origin", figures.get("removed_at_origin", 0)),
        ("Licences expiring within 30 days", len(figures["licences_expiring"])),
        ("Failed self-checks", len(figures["failed_self_checks"])),
    ]
    context = {
        "title": title,
        "summary": summary,
        "breakdowns": breakdowns,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "f": figures,
        "breaches": breaches,
        "invariants": invariants,
        "completion": completion,
        "histogram": histogram,
        "display": display,
        "per_day_chart": charts.requests_per_day(figures["per_day"]),
        "completion_chart": charts.completion_distribution(completion["histogram"]),
    }
    return render_to_string("reports/compliance_report.html", context)


def report_title(period: Period) -> str:
    return f"{period.kind.capitalize()} compliance report, {period.label} ({period.time_zone})"


def report_render(*, period: Period, now=None) -> RenderedReport:
    """Compute and render the report for `period`. Reads only; stores nothing."""
    figures = report_figures(period=period, now=now)
    rows = report_rows(period=period)
    return RenderedReport(
        period=period,
        figures=figures,
        html=report_html(figures, title=report_title(period)),
        csv=rows_csv(rows),
    )
