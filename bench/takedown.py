"""Takedowns end to end, with a real worker on Redis and PostgreSQL, gunicorn serving the
site and Varnish (vmod xkey) in front, all in one run:

- approval -> confirmation mail sent: p50 of ROUNDS one-item requests (target <= 2 s), and
  one whole origin of BIG_ORIGIN items (target <= 60 s);
- approval -> the item page answers 451 through Varnish, p50 (target <= 1 s);
- the item page from Varnish (a cache hit) against a bare Django view on the same gunicorn,
  uncached, interleaved rounds of `ab` (target: at least 10x faster, i.e. <= 0.1x the time).

Needs DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…, varnishd with vmod xkey
and ab (apache2-utils). Run: `python -m bench.takedown` (or `make bench`).
"""

import os
import statistics
import tempfile
import time

import requests

from bench.common import bench_database, report
from bench.hide import _items
from tests.workers import wait_until

ROUNDS = int(os.environ.get("BENCH_TAKEDOWN_ROUNDS", 7))
FILLER = 5_000
BIG_ORIGIN = 10_000
AB_ROUNDS = 3
AB_REQUESTS = 2_000


def main() -> bool:
    url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("postgres") or not broker.startswith("redis"):
        print("takedown: skipped (needs DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…)")
        return True
    from tests.varnishtools import Varnish, _free_port, varnish_missing

    if varnish_missing():
        print(f"takedown: skipped ({varnish_missing()})")
        return True
    with bench_database():
        from bench import served

        return _run(served, Varnish, _free_port())


def _phases(removal_request) -> None:
    """Where the time went: each step's last audit event, in seconds after approval."""
    from django.db.models import Max

    from compliance.audit.models import AuditEvent

    events = AuditEvent.objects.filter(case=removal_request.reference)
    approved = events.filter(action="request.approved").values_list("at", flat=True).first()
    steps = events.values("action").annotate(last=Max("at")).order_by("last")
    print(
        "  "
        + ", ".join(f"{s['action']} +{(s['last'] - approved).total_seconds():.1f}s" for s in steps)
    )


def _run(served, Varnish, port) -> bool:
    from compliance.destinations.models import Destination
    from compliance.items.models import Item, LicenceBasis, Origin
    from compliance.messaging.models import Message
    from compliance.takedowns.decisions import request_approve
    from compliance.takedowns.models import RemovalRequest
    from tests.factories import RemovalRequestFactory, RemovalTargetFactory, UserFactory

    basis = LicenceBasis.objects.create(name="Public feed", kind="public_feed")
    single, filler, big = (
        Origin.objects.create(
            domain=f"{n}.example", name=n.title(), home_page=f"https://{n}.example/"
        )
        for n in ("single", "filler", "big")
    )
    Item.objects.bulk_create(_items(filler, FILLER, "filler", basis), batch_size=5_000)
    Item.objects.bulk_create(_items(big, BIG_ORIGIN, "big", basis), batch_size=5_000)
    Item.objects.bulk_create(_items(single, ROUNDS, "single", basis))
    officer = UserFactory(is_staff=True, officer=True)

    def approve(item, scope="items"):
        removal_request = RemovalRequestFactory(
            status=RemovalRequest.Status.VERIFIED, scope=scope, future=False, origin=item.origin
        )
        RemovalTargetFactory(request=removal_request, item=item)
        started = time.perf_counter()
        request_approve(removal_request=removal_request, user=officer)
        return removal_request, started

    def confirmed(removal_request):
        return Message.objects.filter(
            case=removal_request.reference, kind="confirmation", state=Message.State.SENT
        ).exists()

    mail_dir = tempfile.mkdtemp(prefix="bench-mail-")
    with served.gunicorn(port) as site, served.worker(site, mail_dir):
        edge = Varnish(site)
        try:
            Destination.objects.create(name="Edge cache", kind="varnish-xkey", url=edge.url)
            to_mail, to_edge = [], []
            for item in Item.objects.filter(origin=single).order_by("pk"):
                page = f"{edge.url}/items/{item.slug}/"
                requests.get(page, timeout=10)
                assert len(requests.get(page, timeout=10).headers["X-Varnish"].split()) == 2
                removal_request, started = approve(item)
                wait_until(
                    lambda: requests.get(page, timeout=10).status_code == 451,  # noqa: B023
                    timeout=30,
                    interval=0.01,
                    message="no 451 at the edge",
                )
                to_edge.append(time.perf_counter() - started)
                mailed = lambda: confirmed(removal_request)  # noqa: B023, E731
                wait_until(mailed, timeout=60, interval=0.01, message="no confirmation")
                to_mail.append(time.perf_counter() - started)
            _phases(removal_request)
            big_item = Item.objects.filter(origin=big).order_by("pk").first()
            removal_request, started = approve(big_item, scope="origin")
            wait_until(
                lambda: confirmed(removal_request),
                timeout=600,
                interval=0.2,
                message="no confirmation for the origin",
            )
            big_seconds = time.perf_counter() - started
            _phases(removal_request)
            assert not Item.objects.filter(origin=big, status="published").exists()

            hit_url = f"{edge.url}/items/{Item.objects.filter(origin=filler).first().slug}/"
            bare_url = f"{site}/bench/bare/"
            requests.get(hit_url, timeout=10)
            bare, hit = [], []
            for _ in range(AB_ROUNDS):
                bare.append(served.ab_mean_seconds(bare_url, requests_count=AB_REQUESTS))
                hit.append(served.ab_mean_seconds(hit_url, requests_count=AB_REQUESTS))
        finally:
            edge.stop()
    p50_mail, p50_edge = statistics.median(to_mail), statistics.median(to_edge)
    print(
        f"takedown: approval -> confirmation, one item: p50 {p50_mail:.2f}s "
        f"(max {max(to_mail):.2f}s, {ROUNDS} runs; target <= 2s) "
        f"{'ok' if p50_mail <= 2 else 'OVER TARGET'}"
    )
    print(
        f"takedown: approval -> confirmation, an origin of {BIG_ORIGIN:,} items: "
        f"{big_seconds:.1f}s (target <= 60s) {'ok' if big_seconds <= 60 else 'OVER TARGET'}"
    )
    print(
        f"takedown: approval -> 451 through Varnish: p50 {p50_edge:.2f}s (target <= 1s) "
        f"{'ok' if p50_edge <= 1 else 'OVER TARGET'}"
    )
    print(
        f"  ab mean time per request: Varnish hit {min(hit) * 1000:.3f} ms, "
        f"bare view {min(bare) * 1000:.3f} ms"
    )
    edge_ok = report(
        "item page from Varnish (cache hit) against a bare Django view, uncached, ab -c 8",
        min(hit),
        min(bare),
        0.1,
    )
    return p50_mail <= 2 and big_seconds <= 60 and p50_edge <= 1 and edge_ok


if __name__ == "__main__":
    import sys

    sys.exit(0 if main() else 1)
