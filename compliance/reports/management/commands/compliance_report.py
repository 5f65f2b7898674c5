"""manage.py compliance_report --period {daily,weekly,monthly} [--since DATE --until DATE]
[--format {html,csv,json}] [--output FILE] [--send]
manage.py compliance_report --period {half-year,year} --format dsa-template [--output DIR]

Builds the report for the last full period in REPORT_TIME_ZONE, or for the days given
(both inclusive), and prints it to standard output unless --output names a file. Without
--send it only reads; --send stores the report and mails it to the active recipients (a
period already mailed is not mailed again).

--format dsa-template builds the DSA transparency report's quantitative tables
(compliance.reports.dsa_template) for the last full calendar half-year or year (or the days
given): one CSV per table and the same data as JSON, written into the directory --output
names (made if missing), or the JSON alone to standard output.
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.reports import dsa_template, services
from compliance.reports.periods import (
    KINDS,
    TEMPLATE_KINDS,
    Period,
    last_full_period,
    report_zone,
)
from compliance.reports.rendering import FORMATS, RenderedReport, figures_json, report_render


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None


TEMPLATE = "dsa-template"


class Command(BaseCommand):
    help = "Build the compliance report for the last full period (or the days given)."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, choices=[*KINDS, *TEMPLATE_KINDS])
        parser.add_argument("--since", metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--until", metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--format", default="html", choices=[*FORMATS, TEMPLATE])
        parser.add_argument("--output", metavar="FILE", help="write here, not to stdout")
        parser.add_argument(
            "--send",
            action="store_true",
            help="store the report and mail it to the active recipients",
        )

    def handle(self, *args, period, since, until, format, output, send, **options):
        if (since is None) != (until is None):
            raise CommandError("give both --since and --until, or neither")
        zone = report_zone()
        if since is None:
            chosen = last_full_period(period, zone=zone)
        else:
            try:
                chosen = Period(
                    period, parse_day(since, "--since"), parse_day(until, "--until"), zone
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        if format == TEMPLATE:
            return self._template(chosen, output, send)
        if period in TEMPLATE_KINDS:
            raise CommandError(f"--period {period} is for --format {TEMPLATE}")
        if output and Path(output).is_dir():
            raise CommandError(f"--output {output!r} is a directory")

        if send:
            try:
                report, sent = services.report_run(period=chosen)
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            rendered = RenderedReport(
                period=chosen, figures=report.figures, html=report.html, csv=report.csv
            )
            if sent:
                self.stderr.write(f"Sent to {', '.join(sent)}.")
            elif report.delivered_at:
                self.stderr.write(
                    f"Already sent on {report.delivered_at:%Y-%m-%d %H:%M %Z} "
                    f"to {', '.join(report.recipients)}: nothing sent again."
                )
            else:
                self.stderr.write(
                    "Stored, but not sent: no active recipient for "
                    f"{period} reports (add one in the admin)."
                )
        else:
            rendered = report_render(period=chosen)

        text = figures_json(rendered.figures) if format == "json" else rendered.as_format(format)
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"cannot write {output}: {exc.strerror}") from None
            self.stderr.write(
                f"{chosen.kind.capitalize()} report {chosen.label} written to {output}."
            )
        else:
            self.stdout.write(text, ending="")

    def _template(self, period: Period, output: str | None, send: bool) -> None:
        if send:
            raise CommandError(f"--send is for the periodic reports, not --format {TEMPLATE}")
        files = dsa_template.template_files(period)
        if not output:
            (json_text,) = [text for name, text in files.items() if name.endswith(".json")]
            self.stdout.write(json_text, ending="")
            return
        folder = Path(output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in files.items():
                (folder / name).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise CommandError(f"cannot write into {output}: {exc.strerror}") from None
        self.stderr.write(
            f"DSA transparency tables {period.label}: {len(files)} files written to {folder}."
        )
