"""manage.py export_decisions --format {dsa,lumen} [--since DATE] [--output FILE]

Writes one decision per line as JSON (JSON Lines), oldest decision first: a line can be
checked, filtered or batched on its own (the Transparency Database takes at most 100
statements per call), and a long export streams instead of building one huge array.

Lines are the public records stored when each decision was taken (compliance.reports.
public_records), oldest first:
dsa: every statement of reasons: one per request carried out, and one more (puid
     `<reference>-r1`) for each reversal.
lumen: a notice for every request decided (completed, reversed or rejected), except those
     that name no work (Lumen refuses them; counted on standard error).
--since DATE keeps the records made on or after that day (REPORT_TIME_ZONE): a reversal
made in the window is exported even when the original decision is older.
"""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from compliance.reports.models import DsaStatement, LumenNotice
from compliance.reports.periods import local_midnight, report_zone
from compliance.reports.public_records import public_records_backfill

FORMATS = {"dsa": DsaStatement, "lumen": LumenNotice}


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
        public_records_backfill()
        records = FORMATS[format].objects.order_by("created_at", "id")
        if since_instant is not None:
            records = records.filter(created_at__gte=since_instant)
        skipped = records.filter(state=LumenNotice.State.SKIPPED).count()
        records = records.exclude(state=LumenNotice.State.SKIPPED).values_list("payload", flat=True)
        try:
            stream = open(output, "w", encoding="utf-8") if output else None  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        count = 0
        try:
            for payload in records.iterator(chunk_size=500):
                line = json.dumps(payload, ensure_ascii=False) + "\n"
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
        if skipped:
            self.stderr.write(f"{skipped} left out: they name no work (see each request).")
