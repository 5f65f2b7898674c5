"""Ingesting a 10,000-item feed file, compared with parsing the same bytes with feedparser
alone (its defaults), in the same run, interleaved and repeated. Targets: a first ingest
(every entry new: parsed, sanitised, matched against the block rules, stored with its
audit event) at most 2x feedparser; a second ingest of the same file (every entry known)
at most 1.2x; peak Python memory of an ingest at most 2x feedparser's. The file's size is
printed beside FETCH_MAX_BYTES: the default limit must fit it.

Run: `python -m bench.ingest` (or `make bench`); honours DATABASE_URL.
"""

import io
import tempfile
import tracemalloc
from pathlib import Path

from bench.common import bench_database, interleaved, report_ratio

ENTRIES = 10_000
RULES = 1_000  # active rules elsewhere: the check runs, and matches nothing
TARGET_NEW = 2.0
TARGET_AGAIN = 1.2
TARGET_MEMORY = 2.0
REPEAT = 3

PARAGRAPH = (
    "The harbour committee met on a grey morning to discuss the invented matter of the "
    "lighthouse lamps, the ferry timetable and the price of rope, and agreed on nothing. "
)


def synthetic_feed(count: int, site: str = "bench-outlet") -> bytes:
    """An RSS 2.0 feed of `count` invented articles of a few paragraphs each, with an author,
    a date, an image and a credit: the shape of a busy news site's full-text feed."""
    items = []
    for n in range(count):
        body = "".join(f"<p>{PARAGRAPH}Paragraph {p} of article {n}.</p>" for p in range(4))
        items.append(
            f"<item><title>Invented headline number {n}</title>"
            f"<link>https://{site}.example/news/{n}/invented-headline</link>"
            f'<guid isPermaLink="false">{site}-{n}</guid>'
            f"<dc:creator>Writer {n % 97}</dc:creator>"
            f"<pubDate>Mon, 02 Nov 2026 {n % 24:02d}:{n % 60:02d}:00 +0000</pubDate>"
            f'<media:content url="https://cdn.{site}.example/{n}.jpg" medium="image">'
            f"<media:credit>Photo: Invented Photographer {n % 13}</media:credit></media:content>"
            f"<description><![CDATA[<p>{PARAGRAPH}</p>]]></description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<channel><title>Bench Outlet</title><link>https://{site}.example/</link>"
        "<description>Invented news</description>" + "".join(items) + "</channel></rss>"
    ).encode()


def _peak(function) -> int:
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> bool:
    import feedparser

    with bench_database() as connection:
        from django.conf import settings

        from compliance.items.models import BlockRule, Origin
        from compliance.items.sources import feed_ingest_source

        content = synthetic_feed(ENTRIES)
        limit = settings.FETCH_MAX_BYTES
        print(
            f"ingest: a {ENTRIES:,}-item feed is {len(content) / 2**20:.1f} MiB; "
            f"FETCH_MAX_BYTES is {limit / 2**20:.0f} MiB "
            f"({'fits' if len(content) <= limit else 'TOO SMALL'})"
        )
        folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
        path = folder / "feed.xml"
        source = str(path)
        sites = iter(range(1_000))

        other = Origin.objects.create(domain="elsewhere.example", name="Elsewhere")
        BlockRule.objects.bulk_create(
            BlockRule(kind=BlockRule.Kind.AUTHOR, origin=other, domain=other.domain,
                      author=f"Someone {n}", author_key=f"someone {n}")
            for n in range(RULES)
        )  # fmt: skip

        def new_site():
            # Audit events cannot be deleted (a trigger says so): every "new" run ingests
            # the feed of another invented site instead, of the same size.
            path.write_bytes(synthetic_feed(ENTRIES, f"bench-outlet-{next(sites)}"))
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")

        def parse_only():
            feedparser.parse(io.BytesIO(content))

        def ingest():
            outcome = feed_ingest_source(source=source)
            assert not outcome.failed and not outcome.errors, outcome
            return outcome

        def ingest_new():
            outcome = ingest()
            assert outcome.new == ENTRIES, outcome

        def ingest_again():
            outcome = ingest()
            assert (outcome.new, outcome.updated) == (0, 0), outcome

        new_site()
        ingest_new()  # warm up: templates, caches, the planner
        results = interleaved(
            parse_only,
            {"new": (new_site, ingest_new), "again": (None, ingest_again)},
            repeat=REPEAT,
        )
        ok = []
        ratio, measured, baseline = results["new"]
        ok.append(report_ratio(
            f"ingest on {connection.vendor}, {ENTRIES:,} new items vs feedparser alone",
            ratio, measured, baseline, TARGET_NEW,
        ))  # fmt: skip
        ratio, measured, baseline = results["again"]
        ok.append(report_ratio(
            f"ingest on {connection.vendor}, the same {ENTRIES:,} again vs feedparser alone",
            ratio, measured, baseline, TARGET_AGAIN,
        ))  # fmt: skip

        parser_peak = _peak(parse_only)
        new_site()
        ingest_peak = _peak(ingest_new)
        memory = ingest_peak / parser_peak
        verdict = "ok" if memory <= TARGET_MEMORY else "OVER TARGET"
        print(
            f"ingest peak memory: {ingest_peak / 2**20:.0f} MiB vs feedparser's "
            f"{parser_peak / 2**20:.0f} MiB = {memory:.2f}x (target <= {TARGET_MEMORY}x) {verdict}"
        )
        ok.append(memory <= TARGET_MEMORY)
        ok.append(len(content) <= limit)
        path.unlink()
        folder.rmdir()
        return all(ok)


if __name__ == "__main__":
    import sys

    sys.exit(0 if main() else 1)
