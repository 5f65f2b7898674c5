"""The licence-evidence jobs on a real Celery worker and broker: a new origin read at once,
items first seen read by the sweep, the removed-at-origin re-check, and a verified opt-out
carried through to the end like any approved request."""

from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.core.actors import Actor
from compliance.items.configuration import origin_create
from compliance.items.models import Item
from compliance.items.staydown import origin_block
from compliance.licensing.models import ArticlePresence, LicenceCheck
from compliance.licensing.tasks import check_licences_due, recheck_originals
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.optout import optout_request, optout_verify
from tests import workers
from tests.factories import ItemFactory, OriginFactory
from tests.licensingtools import Site

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def wait(condition, worker, what):
    workers.wait_until(condition, timeout=60, message=f"{what}\n{worker.output()[-4000:]}")


def test_a_new_origin_is_read_at_once_and_new_items_by_the_sweep(
    httpserver, celery_worker, settings
):
    site = Site(httpserver)
    site.set("/", f'<html><head><link rel="license" href="{CC_BY}"></head></html>'.encode())
    site.set("/news/a", b"<html><head><meta name='robots' content='noindex'></head></html>")

    origin = origin_create(
        actor=Actor.system("test"),
        domain="lamp-herald.example",
        name="Lamp Herald",
        home_page=site.url("/"),
    )

    wait(
        lambda: LicenceCheck.objects.filter(origin=origin, item=None).exists(),
        celery_worker,
        "not read",
    )
    check = LicenceCheck.objects.get(origin=origin, item=None)
    assert check.verdict == "CC BY 4.0 offered for articles"

    item = ItemFactory(origin=origin, original_url=site.url("/news/a"))
    assert settings.CELERY_BEAT_SCHEDULE["check-licences-due"]["task"] == check_licences_due.name
    check_licences_due.delay()
    wait(lambda: LicenceCheck.objects.filter(item=item).exists(), celery_worker, "item not read")
    assert LicenceCheck.objects.get(item=item).verdict == "robots: noindex"


def test_the_recheck_hides_an_original_gone_twice(httpserver, client, celery_worker, settings):
    assert settings.CELERY_BEAT_SCHEDULE["recheck-originals"]["task"] == recheck_originals.name
    site = Site(httpserver)
    site.remove("/news/gone", status=410)
    item = ItemFactory(
        origin=OriginFactory(home_page=site.url("/")), original_url=site.url("/news/gone")
    )
    # Its first "gone" answer came seven hours ago.
    ArticlePresence.objects.create(item=item, missing_since=timezone.now() - timedelta(hours=7))

    recheck_originals.delay()

    wait(
        lambda: Item.objects.get(pk=item.pk).status == Item.Status.HIDDEN,
        celery_worker,
        "still shown",
    )
    assert Item.objects.get(pk=item.pk).status_reason == "removed at origin"
    assert client.get(f"/items/{item.slug}/").status_code == 451


def test_a_verified_opt_out_is_carried_out_and_confirmed(client, celery_worker, worker_mail):
    origin = OriginFactory(domain="quay-courier.example", name="Quay Courier")
    items = ItemFactory.create_batch(2, origin=origin)
    opt_out = optout_request(
        domain=origin.domain, requester_name="Quinn Quay", requester_email="quinn@agency.example"
    )

    removal_request = optout_verify(
        opt_out=opt_out, resolve_txt=lambda name: [opt_out.published_value]
    )

    wait(
        lambda: RemovalRequest.objects.get(pk=removal_request.pk).status == "completed",
        celery_worker,
        "not completed",
    )
    for item in items:
        assert client.get(f"/items/{item.slug}/").status_code == 451
    assert origin_block(origin.domain).case == removal_request.reference
    workers.wait_until(
        lambda: [m for m in worker_mail() if removal_request.reference in m["Subject"]],
        timeout=60,
        message="no confirmation",
    )
    (confirmation,) = [m for m in worker_mail() if removal_request.reference in m["Subject"]]
    assert confirmation["To"] == "quinn@agency.example"
