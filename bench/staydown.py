"""Stay-down check: 10,000 new items against 100,000 active block rules, compared with the
same 10,000 against 10 rules, in the same run on the same database. Target: at most 1.2x,
i.e. the check is a handful of indexed lookups, not a scan of the rules.

The baseline is measured between the subjects (few, spread, few, concentrated, few, …,
three rounds), each subject against the mean of the baselines beside it; the median of the
rounds is printed. Two shapes of 100,000 rules are measured:
- spread: the rules evenly over 1,000 origins;
- concentrated: half of them at one origin (one publisher asking again and again), which is
  where the new items come from too. A lookup that narrows by domain alone reads all of
  that origin's rules, so this shape shows whether every lookup has an index of its own.

Run: `python -m bench.staydown` (or `make bench`); honours DATABASE_URL.
"""

import hashlib
import statistics

from bench.common import bench_database, best_of, report_ratio

CANDIDATES = 10_000
RULES = 100_000
FEW_RULES = 10
ORIGINS = 1_000
TARGET = 1.2
REPEAT = 3


def _hex(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _rule(origin, n: int):
    """Rule n: mostly URL rules, some author rules, a few whole origins (each on a domain
    of its own, so none of them covers a candidate)."""
    from compliance.core.normalise import author_key
    from compliance.items.models import BlockRule

    if n % 20 < 14:
        return BlockRule(
            kind=BlockRule.Kind.URL,
            origin=origin,
            domain=origin.domain,
            url=f"https://{origin.domain}/a/{n}",
            url_key=_hex(f"url-{n}"),
            guid=f"guid-{n}",
            text_fingerprint=_hex(f"text-{n}"),
        )
    if n % 20 < 19:
        name = f"Invented Author {n}"
        return BlockRule(
            kind=BlockRule.Kind.AUTHOR,
            origin=origin,
            domain=origin.domain,
            author=name,
            author_key=author_key(name),
        )
    return BlockRule(kind=BlockRule.Kind.ORIGIN, origin=origin, domain=f"blocked-{n}.example")


def _replace_rules(connection, origins, count: int, concentrated: bool) -> None:
    from compliance.items.models import BlockRule

    BlockRule.objects.all().delete()
    rules = []
    for n in range(count):
        big = concentrated and n % 2 == 0
        rules.append(_rule(origins[0] if big else origins[n % len(origins)], n))
    BlockRule.objects.bulk_create(rules, batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would have done on a live database


def main() -> bool:
    with bench_database() as connection:
        from compliance.items.models import BlockRule, Origin
        from compliance.items.staydown import Candidate, block_for

        Origin.objects.bulk_create(
            Origin(
                domain=f"outlet{n}.example",
                name=f"Outlet {n}",
                home_page=f"https://outlet{n}.example/",
            )
            for n in range(ORIGINS)
        )
        origins = list(Origin.objects.order_by("pk"))
        # New items that no rule covers, so every lookup runs (the worst case) the same way in
        # all three measurements; half come from the first origin.
        candidates = [
            Candidate(
                origin_domain=origins[0 if n % 2 else n % ORIGINS].domain,
                url_key=_hex(f"candidate-url-{n}"),
                guid=f"candidate-guid-{n}",
                author_key=f"candidate author {n}",
                text_fingerprint=_hex(f"candidate-text-{n}"),
            )
            for n in range(CANDIDATES)
        ]

        def check_all():
            # One candidate at a time, as ingest asks for each entry it stores.
            for candidate in candidates:
                if block_for(candidate) is not None:
                    raise AssertionError("a candidate matched a rule it should not")

        def with_rules(count: int, concentrated: bool = False):
            return lambda: _replace_rules(connection, origins, count, concentrated=concentrated)

        def check_found():
            sample = BlockRule.objects.filter(kind=BlockRule.Kind.URL).order_by("-pk").first()
            found = block_for(  # the same text, back at its own origin
                Candidate(
                    origin_domain=sample.domain,
                    url_key="",
                    text_fingerprint=sample.text_fingerprint,
                )
            )
            assert found and found.rule == sample, "the fingerprint lookup missed its rule"
            check_all()

        # The baseline is measured between the subjects, not first: a few rules, then each
        # shape of many, then a few again, so that a machine getting busier or quieter (or
        # a warming cache) weighs on both alike; each subject is compared with the mean of
        # the baseline runs beside it. The rules are replaced (untimed) between runs.
        rounds = {"spread": [], "concentrated": []}
        timings = {"spread": [], "concentrated": []}
        baselines = []
        with_rules(FEW_RULES)()
        check_all()  # warm up
        before = best_of(check_all, repeat=1)
        baselines.append(before)
        for _ in range(REPEAT):
            for shape, concentrated in (("spread", False), ("concentrated", True)):
                with_rules(RULES, concentrated)()
                check_found()  # warm up, and check the lookup finds what it should
                measured = best_of(check_all, repeat=1)
                with_rules(FEW_RULES)()
                check_all()
                after = best_of(check_all, repeat=1)
                baselines.append(after)
                rounds[shape].append(measured / ((before + after) / 2))
                timings[shape].append(measured)
                before = after
        results = []
        for shape in ("spread", "concentrated"):
            results.append(report_ratio(
                f"stay-down on {connection.vendor}, {CANDIDATES:,} items vs {RULES:,} rules "
                f"({shape}) against {FEW_RULES} rules",
                statistics.median(rounds[shape]), statistics.median(timings[shape]),
                statistics.median(baselines), TARGET,
            ))  # fmt: skip
        return all(results)


if __name__ == "__main__":
    import sys

    sys.exit(0 if main() else 1)
