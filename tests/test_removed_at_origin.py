"""Removed at origin, removed here: two 404/410 answers hours apart hide the item; a 200
with the same article brings it back; a redirect to another article is a change; an origin
that is down is not a removal."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.licensing.models import ArticlePresence, LicenceSnapshot
from compliance.licensing.presence import original_recheck, originals_due
from tests.factories import ItemFactory, OriginFactory
from tests.licensingtools import Site

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)
TITLE = "Harbour lights return to the old pier"
ARTICLE = f"<html><head><title>{TITLE} | Synthetic</title></head><body>…</body></html>".encode()


@pytest.fixture
def site(httpserver):
    site = Site(httpserver)
    site.set("/news/lights", ARTICLE)
    return site


@pytest.fixture
def item(site):
    with time_machine.travel(START - timedelta(days=2), tick=False):
        return ItemFactory(
            origin=OriginFactory(home_page=site.url("/")),
            original_url=site.url("/news/lights"),
            title=TITLE,
        )


def recheck(item, at):
    with time_machine.travel(at, tick=False):
        return original_recheck(item_id=item.pk)


def status_of(item) -> str:
    item.refresh_from_db()
    return item.status


@pytest.mark.parametrize("gone", [404, 410])
def test_two_answers_gone_hours_apart_hide_and_a_return_restores(site, item, gone):
    assert recheck(item, START) == "present"
    site.remove("/news/lights", status=gone)
    assert recheck(item, START + timedelta(hours=1)) == "missing"
    # Too soon after the first: a glitch at the origin is not a removal.
    assert recheck(item, START + timedelta(hours=3)) == "missing"
    assert status_of(item) == "published"

    assert recheck(item, START + timedelta(hours=7)) == "removed"

    assert status_of(item) == "hidden" and item.status_reason == "removed at origin"
    hidden = AuditEvent.objects.get(action="item.hidden", object_id=item.pk)
    assert hidden.reason == "removed at origin" and hidden.actor_name == "original_recheck"
    answers = LicenceSnapshot.objects.filter(item=item, kind="article_status")
    assert sorted(answers.values_list("http_status", flat=True)) == [gone, gone]
    # Hidden by this job, still re-checked so that it can come back.
    assert item.pk in originals_due(now=START + timedelta(hours=8))

    site.set("/news/lights", ARTICLE)
    assert recheck(item, START + timedelta(hours=9)) == "returned"
    assert status_of(item) == "published"
    restored = AuditEvent.objects.get(action="item.restored", object_id=item.pk)
    assert restored.reason == "the original answers again at origin"


def test_a_different_article_at_the_address_does_not_bring_it_back(site, item):
    site.remove("/news/lights")
    recheck(item, START)
    recheck(item, START + timedelta(hours=7))
    site.set("/news/lights", b"<html><title>Something else entirely</title></html>")
    assert recheck(item, START + timedelta(hours=8)) == "present"
    assert status_of(item) == "hidden"


def test_a_redirect_to_another_article_is_a_change_not_a_removal(site, item):
    site.redirect("/news/lights", site.url("/news/other"))
    site.set("/news/other", b"<html><title>Another story</title></html>")

    assert recheck(item, START) == "moved"

    assert status_of(item) == "published"
    moved = AuditEvent.objects.get(action="item.original_moved")
    assert moved.after == {"url": site.url("/news/other")}
    answer = LicenceSnapshot.objects.get(item=item, kind="article_status")
    assert answer.value == f"HTTP 200 → {site.url('/news/other')}"


def test_a_redirect_to_the_same_article_is_presence(site, item):
    site.redirect("/news/lights", site.url("/news/2026/lights"))
    site.set("/news/2026/lights", ARTICLE)
    assert recheck(item, START) == "present"


@pytest.mark.parametrize("trouble", ["500", "429", "timeout"])
def test_an_origin_that_is_down_is_not_a_removal(site, item, settings, trouble):
    settings.FETCH_TIMEOUT_SECONDS = 1
    site.remove("/news/lights")
    recheck(item, START)
    if trouble == "timeout":
        site.set("/news/lights", ARTICLE, delay=2.5)
    else:
        site.remove("/news/lights", status=int(trouble))

    assert recheck(item, START + timedelta(hours=7)) == "down"
    assert recheck(item, START + timedelta(hours=14)) == "down"

    assert status_of(item) == "published"
    # The run of "gone" answers is not broken by the outage: one more 404 confirms it.
    site.remove("/news/lights")
    assert recheck(item, START + timedelta(hours=15)) == "removed"


def test_only_recent_items_are_rechecked(site, item, settings):
    settings.ORIGINAL_RECHECK_DAYS = 30
    old = ItemFactory(origin=item.origin, republished_at=START - timedelta(days=31))
    hidden = ItemFactory(origin=item.origin, status=Item.Status.HIDDEN)
    due = originals_due(now=START)
    assert item.pk in due and old.pk not in due and hidden.pk not in due
    assert not ArticlePresence.objects.exists()
