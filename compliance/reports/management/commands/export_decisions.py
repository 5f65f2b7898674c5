"""manage.py export_decisions --format {dsa,lumen} [--since DATE] [--output FILE]

Writes one decision per line as JSON (JSON Lines), oldest decision first: a line can be
checked, filtered or batched on its own (the Transparency Database takes at most 100
statements per call), and a long export streams instead of building one huge array.

dsa: a statement of reasons for every request carried out (completed or reversed).
lumen: a notice for every request decided (completed, reversed or rejected).
--since DATE keeps the decisions made on or after that day (REPORT_TIME_ZONE).
"""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.reports import exports, selectors
from compliance.reports.periods import local_midnight, report_zone
from compliance.takedowns.models import RemovalRequest

FORMATS = {
    "dsa": (exports.dsa_statement, list(selectors.PUBLIC_STATUSES)),
    "lumen": (exports.lumen_notice, [*selectors.PUBLIC_STATUSES, RemovalRequest.Status.REJECTED]),
}


class Command(BaseCommand):
    help = "Export decisions as DSA statements of reasons or Lumen notices (JSON Lines)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(FORMATS))
        parser.add_argument("--since", metavar="DATE", help="YYYY-MM-DD: decisions from then")
        parser.add_argument("--output", metavar="FILE", help="write here, not to stdout")

    def handle(self, *args, format, since, output, **options):
        since_instant = None
        if since is not None:
            try:
                day = date.fromisoformat(since)
            except ValueError:
                raise CommandError(f"--since {since!r} is not a date: use YYYY-MM-DD") from None
            try:
                since_instant = local_midnight(day, report_zone())
            except OverflowError:
                raise CommandError(
                    f"--since {since} is outside the dates that can be searched"
                ) from None
        export, statuses = FORMATS[format]
        decisions = selectors.decisions_for_export(statuses=statuses, since=since_instant)
        try:
            stream = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        count = 0
        try:
            for decision in decisions.iterator(chunk_size=500):
                line = json.dumps(export(decision), ensure_ascii=False) + "\n"
                if stream:
                    stream.write(line)
                else:
                    self.stdout.write(line, ending="")
                count += 1
        finally:
            if stream:
                stream.close()
        where = f" to {Path(output)}" if output else ""
        self.stderr.write(f"{count} decision(s) exported as {format}{where}.")
