"""Reading an origin's and an item's licensing signals into immutable snapshots, against
a synthetic site served by a real local HTTP server."""

import hashlib
import json

import pytest
from django.db import DatabaseError, connection, transaction

from compliance.licensing.checks import item_licence_check, origin_licence_check
from compliance.licensing.models import LicenceCheck, LicenceSnapshot, LicenceWatch, Permission
from tests.factories import FeedFactory, ItemFactory, LicenceBasisFactory, OriginFactory
from tests.licensingtools import Site, fixture

pytestmark = pytest.mark.django_db
Kind = LicenceSnapshot.Kind
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


@pytest.fixture
def site(httpserver):
    return Site(httpserver)


def cc_site(site) -> None:
    site.set("/robots.txt", "robots-signals.txt")
    site.set("/licence.rsl", "licence-attribution.rsl")
    site.set("/.well-known/tdmrep.json", "tdmrep-reserved.json")
    site.set("/", "home-cc.html")
    site.set("/feed.xml", "feed-rsl.xml")


def origin_on(site, **basis):
    basis = LicenceBasisFactory(**basis) if basis else LicenceBasisFactory()
    origin = OriginFactory(
        domain="synthetic-site.example", home_page=site.url("/"), licence_basis=basis
    )
    FeedFactory(origin=origin, url=site.url("/feed.xml"))
    return origin


def values(check, kind) -> list[str]:
    return sorted(check.snapshots.filter(kind=kind).values_list("value", flat=True))


def test_every_signal_of_the_site_is_kept_with_where_its_hash_status_and_headers(site):
    cc_site(site)
    origin = origin_on(site)

    check = origin_licence_check(origin_id=origin.pk)

    robots = check.snapshots.get(kind=Kind.ROBOTS_TXT)
    assert robots.location == site.url("/robots.txt")
    assert robots.value == fixture("robots-signals.txt").decode()
    assert robots.sha256 == hashlib.sha256(fixture("robots-signals.txt")).hexdigest()
    assert robots.http_status == 200 and robots.headers["etag"]
    assert values(check, Kind.CONTENT_SIGNAL) == ["user-agent *: search=yes, ai-train=no"]
    assert values(check, Kind.RSL_LICENSE_LINK) == [site.url("/licence.rsl")]
    # The RSL document robots.txt names is read in the same check, and the feed's module.
    rsl = check.snapshots.filter(kind=Kind.RSL_LICENSE)
    assert {s.location for s in rsl} == {site.url("/licence.rsl"), site.url("/feed.xml")}
    assert json.loads(rsl.first().value)["payment"] == "attribution"
    assert values(check, Kind.REL_LICENSE) == [CC_BY]
    assert values(check, Kind.JSONLD_LICENSE) == [CC_BY]
    assert values(check, Kind.JSONLD_CREDIT_TEXT) == ["Synthetic Site"]
    assert (
        json.loads(values(check, Kind.JSONLD_COPYRIGHT_HOLDER)[0])["name"] == "Synthetic Site Ltd"
    )
    assert values(check, Kind.META_ROBOTS) == ["index, follow"]
    assert values(check, Kind.FEED_RIGHTS) == ["© 2026 Synthetic Site Ltd, CC BY 4.0"]
    assert values(check, Kind.FEED_LICENCE_LINK) == [CC_BY]
    rules = [json.loads(v) for v in values(check, Kind.TDMREP_RULE)]
    assert {rule["location"] for rule in rules} == {"/news/*", "/"}
    for snapshot in check.snapshots.exclude(kind__in=[Kind.DOCUMENT, Kind.ROBOTS_TXT]):
        assert snapshot.sha256 == hashlib.sha256(snapshot.value.encode()).hexdigest()
    assert check.verdict == (
        "RSL: republication permitted with attribution; CC BY 4.0 offered for articles; "
        "TDM rights reserved; Content-Signal ai-train=no, search=yes"
    )
    assert check.permission == Permission.CONDITIONS
    watch = LicenceWatch.objects.get(origin=origin)
    assert watch.next_check_at > check.checked_at and watch.consecutive_failures == 0


def test_a_snapshot_is_never_changed_or_deleted(site):
    cc_site(site)
    check = origin_licence_check(origin_id=origin_on(site).pk)
    snapshot = check.snapshots.first()
    snapshot.value = "something else"
    with pytest.raises(ValueError, match="never changed"):
        snapshot.save()
    with pytest.raises(ValueError, match="never deleted"):
        snapshot.delete()
    with pytest.raises(ValueError, match="never changed"):
        check.save()


def test_the_next_check_asks_conditionally_and_keeps_what_did_not_change(site):
    cc_site(site)
    origin = origin_on(site)
    first = origin_licence_check(origin_id=origin.pk)

    second = origin_licence_check(origin_id=origin.pk)

    assert (
        site.asked("/robots.txt")[-1]["If-None-Match"]
        == first.snapshots.get(kind=Kind.ROBOTS_TXT).headers["etag"]
    )
    assert set(second.snapshots.values_list("http_status", flat=True)) == {304}
    assert sorted(second.snapshots.values_list("kind", "value", "sha256")) == sorted(
        first.snapshots.values_list("kind", "value", "sha256")
    )
    assert second.verdict == first.verdict and second.narrowed == ""


def test_missing_documents_are_recorded_as_answers_and_no_signal_is_a_verdict(site):
    site.set("/", b"<html><head><title>Plain</title></head></html>")
    origin = OriginFactory(home_page=site.url("/"))

    check = origin_licence_check(origin_id=origin.pk)

    statuses = dict(check.snapshots.values_list("location", "http_status"))
    assert statuses == {
        site.url("/robots.txt"): 404,
        site.url("/.well-known/tdmrep.json"): 404,
        site.url("/"): 200,
    }
    assert check.verdict == "no signal" and check.permission == Permission.NONE


def test_rsl_terms_in_words(site):
    site.set("/", b"<html></html>")
    origin = OriginFactory(home_page=site.url("/"), licence_basis=None)
    site.set(
        "/robots.txt",
        b"User-agent: *\nAllow: /\nLicense: /licence.rsl\n",
        content_type="text/plain",
    )
    site.set("/licence.rsl", "licence-purchase.rsl")
    assert (
        origin_licence_check(origin_id=origin.pk).verdict
        == "RSL: a licence must be bought (purchase)"
    )
    site.set("/licence.rsl", "licence-prohibited.rsl")
    check = origin_licence_check(origin_id=origin.pk)
    assert check.verdict == "RSL: not permitted" and check.permission == Permission.RESERVED
    # No basis recorded, and the origin says no: staff must look.
    assert "no basis is recorded" in check.contradiction
    origin.refresh_from_db()
    assert "RSL: not permitted" in origin.attention_needed


def test_all_rights_reserved_and_tdm_meta(site):
    site.set("/", "home-none.html")
    site.set("/robots.txt", "robots-plain.txt")
    check = origin_licence_check(origin_id=OriginFactory(home_page=site.url("/")).pk)
    assert check.verdict == "all rights reserved; TDM rights reserved"
    assert values(check, Kind.TDM_RESERVATION) == ["1"]


def test_tdm_headers_are_signals(site):
    site.set(
        "/", b"<html></html>", headers={"tdm-reservation": "1", "tdm-policy": "https://x.example/p"}
    )
    check = origin_licence_check(origin_id=OriginFactory(home_page=site.url("/")).pk)
    assert values(check, Kind.TDM_POLICY) == ["https://x.example/p"]
    assert (
        check.snapshots.get(kind=Kind.DOCUMENT, location=site.url("/")).headers["tdm-reservation"]
        == "1"
    )


def test_an_origin_that_times_out_stores_nothing_and_backs_off(site, settings):
    settings.FETCH_TIMEOUT_SECONDS = 1
    cc_site(site)
    origin = origin_on(site)
    site.set("/", "home-cc.html", delay=2.5)

    assert origin_licence_check(origin_id=origin.pk) is None

    assert not LicenceCheck.objects.filter(origin=origin).exists()
    watch = LicenceWatch.objects.get(origin=origin)
    assert watch.consecutive_failures == 1 and "timed out" in watch.last_error
    # Retried after an hour, then two, doubling up to a day.
    assert (watch.next_check_at - watch.last_checked_at).total_seconds() == 3600
    origin_licence_check(origin_id=origin.pk)
    watch.refresh_from_db()
    assert (watch.next_check_at - watch.last_checked_at).total_seconds() == 2 * 3600


def test_an_items_page_signals_and_its_feed_entry_rights(site):
    site.set("/news/lights", "article.html")
    origin = OriginFactory(home_page=site.url("/"))
    item = ItemFactory(
        origin=origin,
        original_url=site.url("/news/lights"),
        rights_statement="© Synthetic Site Ltd",
        rights_licence_url="https://creativecommons.org/licenses/by-sa/4.0/",
    )

    check = item_licence_check(item_id=item.pk)

    assert check.item == item
    assert values(check, Kind.REL_LICENSE) == ["https://creativecommons.org/licenses/by-sa/4.0/"]
    assert values(check, Kind.JSONLD_COPYRIGHT_NOTICE) == ["© 2026 Synthetic Site Ltd"]
    assert values(check, Kind.JSONLD_CREDIT_TEXT) == ["Photo: A. Synthetic / Synthetic Site"]
    assert values(check, Kind.META_ROBOTS) == ["noindex"]
    assert values(check, Kind.FEED_RIGHTS) == ["© Synthetic Site Ltd"]
    assert json.loads(values(check, Kind.RSL_LICENSE)[0])["payment"] == "attribution"
    assert check.verdict == (
        "RSL: republication permitted with attribution; CC BY-SA 4.0 offered for articles; "
        "robots: noindex"
    )


@pytest.mark.postgres
def test_the_database_refuses_to_change_evidence(site):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's; elsewhere the models refuse")
    cc_site(site)
    check = origin_licence_check(origin_id=origin_on(site).pk)
    for rows, change in (
        (LicenceSnapshot.objects.filter(licence_check=check), {"value": "forged"}),
        (LicenceCheck.objects.filter(pk=check.pk), {"verdict": "forged"}),
    ):
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            rows.update(**change)
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            rows._raw_delete(rows.db)
