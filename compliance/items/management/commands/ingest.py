"""manage.py ingest [--due] [--feed ID] [PATH_OR_URL ...]: fetch and ingest feeds now."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from compliance.items import fetching
from compliance.items.ingest import IngestOutcome
from compliance.items.sources import feed_ingest_source


class Command(BaseCommand):
    help = (
        "Fetch and ingest feeds: the due ones (--due), stored ones by id (--feed), or the "
        "given URLs and local paths (a feed not yet known is added with its origin). Ends "
        "with the line `new N, updated N, withheld N, failed N`; exits non-zero only when "
        "no feed could be read."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "sources",
            nargs="*",
            metavar="PATH_OR_URL",
            help="feed URL or local file; unknown ones are added",
        )
        parser.add_argument(
            "--due", action="store_true", help="every active feed whose next fetch time has come"
        )
        parser.add_argument(
            "--feed",
            type=int,
            action="append",
            default=[],
            dest="feed_ids",
            metavar="ID",
            help="a stored feed by id (repeatable)",
        )

    def handle(self, *args, sources, due, feed_ids, **options):
        if not (sources or due or feed_ids):
            raise CommandError("nothing to ingest: give --due, --feed ID or a path or URL")
        jobs = [(str(feed_id), {"feed_id": feed_id}) for feed_id in feed_ids]
        if due:
            claimed = [feed_id for feed_id in fetching.feeds_claim_due() if feed_id not in feed_ids]
            jobs += [(str(feed_id), {"feed_id": feed_id}) for feed_id in claimed]
        jobs += [(source, {"source": source}) for source in sources]

        totals = {"new": 0, "updated": 0, "withheld": 0, "failed": 0}
        # The bar goes to the terminal only; piped or captured output stays plain.
        on_terminal = self.stdout.isatty()
        with tqdm(
            total=len(jobs),
            unit="feed",
            disable=not on_terminal,
            leave=False,
            file=getattr(self.stdout, "_out", None),
            dynamic_ncols=True,
        ) as bar:
            for label, job in jobs:
                bar.set_postfix_str(label[-40:], refresh=False)
                if "feed_id" in job:
                    outcome = fetching.feed_ingest(**job)
                else:
                    outcome = feed_ingest_source(**job)
                with tqdm.external_write_mode():
                    self._report(label, outcome, options["verbosity"])
                totals["new"] += outcome.new
                totals["updated"] += outcome.updated
                totals["withheld"] += outcome.withheld
                totals["failed"] += outcome.failed
                bar.update()

        self.stdout.write(
            "new {new}, updated {updated}, withheld {withheld}, failed {failed}".format(**totals)
        )
        if jobs and totals["failed"] == len(jobs):
            raise CommandError("no feed could be read", returncode=1)

    def _report(self, label: str, outcome: IngestOutcome, verbosity: int) -> None:
        for error in outcome.errors:
            self.stderr.write(f"error: {outcome.source}: {error}")
        if outcome.failed:
            self.stderr.write(f"failed: {outcome.source or label}: {outcome.error}")
        elif verbosity >= 2:
            self.stdout.write(
                f"{outcome.source}: {outcome.outcome}, new {outcome.new}, "
                f"updated {outcome.updated}, withheld {outcome.withheld}"
            )
        if verbosity >= 2:
            for warning in outcome.warnings:
                self.stderr.write(f"warning: {outcome.source}: {warning}")
