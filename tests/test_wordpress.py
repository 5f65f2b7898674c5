"""A republisher's WordPress, for real (Debian's wordpress on MariaDB, tests/wordpresstools):
courtesy reads its posts, links each to its item by the original URL the importer kept,
puts copies it never ingested on record, and keeps taken-down articles unpublished there —
a re-imported copy under a new URL included."""

import time
import uuid

import pytest

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.wordpress.actions import post_public_status, posts_restore, posts_take_down
from compliance.wordpress.configuration import wordpress_site_create
from compliance.wordpress.models import WordPressPost, WordPressSite
from compliance.wordpress.sync import site_sync
from tests.factories import BlockRuleFactory, ItemFactory, OriginFactory, UserFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
BODY = (
    "<p>The tide tables for the estuary were reprinted this week after a survey found the "
    "old soundings off by nearly a metre near the northern sandbank.</p>\n"
    "<p>Harbour staff said pilots had been warned by radio since the spring.</p>"
)


def _unique() -> str:
    return uuid.uuid4().hex[:10]


def _source_block(url: str) -> str:
    return (
        f'<p>Source: <a href="{url}">the original article</a>. This content belongs to its '
        "author and will be removed on request.</p>"
    )


@pytest.fixture
def origin():
    return OriginFactory(domain=f"tides-{_unique()}.example")


@pytest.fixture
def site(wordpress):
    return wordpress_site_create(
        actor=SYSTEM,
        name="Our WordPress",
        base_url=wordpress.url + "/",
        username=wordpress.user,
        password=wordpress.password,
    )


def _imported(wordpress, url: str, *, body: str = BODY, by_meta: bool = True) -> dict:
    meta = {"wprss_item_permalink": url} if by_meta else {}
    return wordpress.import_post(
        title=f"Estuary tide tables {_unique()}",
        content=body + "\n" + _source_block(url),
        meta=meta,
    )


def test_the_password_is_stored_encrypted_and_never_in_the_trail(site, wordpress):
    stored = WordPressSite.objects.get(pk=site.pk)
    assert wordpress.password not in stored.password_encrypted
    assert stored.password() == wordpress.password
    assert not AuditEvent.objects.filter(after__icontains=wordpress.password).exists()


def test_posts_are_linked_to_their_items_by_the_importers_original_url(site, wordpress, origin):
    item = ItemFactory(origin=origin, original_url=f"https://{origin.domain}/news/{_unique()}")
    by_meta = _imported(wordpress, item.original_url)
    item_b = ItemFactory(origin=origin, original_url=f"https://www.{origin.domain}/b/{_unique()}")
    by_link = _imported(wordpress, item_b.original_url, by_meta=False)

    outcome = site_sync(site_id=site.pk)

    assert outcome.error == ""
    assert WordPressPost.objects.get(site=site, post_id=by_meta["id"]).item == item
    linked = WordPressPost.objects.get(site=site, post_id=by_link["id"])
    assert linked.item == item_b
    assert linked.public_url == by_link["link"]


def test_a_copy_courtesy_never_ingested_is_put_on_record_with_its_own_disclaimer(
    site, wordpress, origin
):
    url = f"https://{origin.domain}/news/{_unique()}"
    post = _imported(wordpress, url)

    site_sync(site_id=site.pk)

    item = WordPressPost.objects.get(site=site, post_id=post["id"]).item
    assert item is not None and item.status == Item.Status.PUBLISHED
    assert item.origin == origin and item.original_url == url
    assert item.disclaimer.startswith("Source: the original article")
    assert "removed on request" in item.disclaimer
    assert len(item.disclaimer_sha256) == 64
    assert "Source:" not in item.body and "tide tables" in item.body
    assert AuditEvent.objects.filter(action="item.published", object_id=item.pk).exists()


def test_a_post_of_no_origin_of_ours_is_kept_with_the_reason(site, wordpress):
    post = _imported(wordpress, f"https://elsewhere-{_unique()}.example/a")

    site_sync(site_id=site.pk)

    row = WordPressPost.objects.get(site=site, post_id=post["id"])
    assert row.item is None and "no origin of ours" in row.problem


def test_a_takedown_unpublishes_the_post_and_a_restoration_publishes_it_again(
    site, wordpress, origin
):
    item = ItemFactory(origin=origin, original_url=f"https://{origin.domain}/news/{_unique()}")
    post = _imported(wordpress, item.original_url)
    site_sync(site_id=site.pk)
    assert wordpress.reader_status(post["link"]) == 200

    results = posts_take_down(item_ids=[item.pk], actor=SYSTEM, reason="request TD-1", case="TD-1")

    assert [r.ok for r in results] == [True]
    assert wordpress.post(post["id"])["status"] == "draft"
    assert wordpress.reader_status(post["link"]) == 404
    row = WordPressPost.objects.get(site=site, post_id=post["id"])
    assert post_public_status(row).ok
    event = AuditEvent.objects.get(action="wordpress.post_unpublished", object_id=row.pk)
    assert event.case == "TD-1" and event.after["status"] == "draft"

    restored = posts_restore(item_ids=[item.pk], actor=SYSTEM, reason="counter-notice", case="TD-1")

    assert [r.ok for r in restored] == [True]
    assert wordpress.post(post["id"])["status"] == "publish"
    assert wordpress.reader_status(post["link"]) == 200
    assert not post_public_status(WordPressPost.objects.get(pk=row.pk)).ok


def test_private_is_used_when_the_site_says_so(site, wordpress, origin):
    site.takedown_status = WordPressSite.TakedownStatus.PRIVATE
    site.save()
    item = ItemFactory(origin=origin, original_url=f"https://{origin.domain}/p/{_unique()}")
    post = _imported(wordpress, item.original_url)
    site_sync(site_id=site.pk)

    posts_take_down(item_ids=[item.pk], actor=SYSTEM, reason="request")

    assert wordpress.post(post["id"])["status"] == "private"
    assert wordpress.reader_status(post["link"]) == 404


def test_the_sweep_unpublishes_a_reimported_copy_under_a_new_url(site, wordpress, origin):
    """The article was taken down (a URL rule with its text); the importer brings it back
    under a new URL: the sweep's matcher withholds the new copy and unpublishes the post."""
    taken = ItemFactory(
        origin=origin,
        original_url=f"https://{origin.domain}/news/{_unique()}",
        body=BODY,
        status=Item.Status.HIDDEN,
    )
    BlockRuleFactory(item=taken, case="TD-2026-00042")
    site_sync(site_id=site.pk)  # the site as it is before the re-import

    again = _imported(wordpress, f"https://{origin.domain}/news/reissued-{_unique()}")
    outcome = site_sync(site_id=site.pk)

    assert outcome.unpublished >= 1
    assert wordpress.post(again["id"])["status"] == "draft"
    row = WordPressPost.objects.get(site=site, post_id=again["id"])
    assert row.item.status == Item.Status.WITHHELD and row.item.status_case == "TD-2026-00042"
    event = AuditEvent.objects.get(action="wordpress.post_unpublished", object_id=row.pk)
    assert event.reason.startswith("stay-down") and event.case == "TD-2026-00042"


def test_the_sweep_unpublishes_a_post_of_a_hidden_item_published_again(site, wordpress, origin):
    item = ItemFactory(
        origin=origin, original_url=f"https://{origin.domain}/x/{_unique()}", status="hidden"
    )
    post = _imported(wordpress, item.original_url)

    site_sync(site_id=site.pk)

    assert wordpress.post(post["id"])["status"] == "draft"


def test_the_sweep_reads_only_what_changed_since_the_last(site, wordpress, origin):
    for _ in range(3):
        _imported(wordpress, f"https://{origin.domain}/n/{_unique()}")
    time.sleep(2.1)  # out of the one-second overlap below, like every other test's posts
    _imported(wordpress, f"https://{origin.domain}/n/{_unique()}")
    first = site_sync(site_id=site.pk)
    time.sleep(1.1)
    _imported(wordpress, f"https://{origin.domain}/n/{_unique()}")

    second = site_sync(site_id=site.pk)

    assert first.read >= 5  # everything the site has, "Hello world!" included
    # The new post, and the last one read before (the one-second overlap): nothing else.
    assert second.read == 2


def test_a_wrong_password_is_a_clear_error_on_the_site(wordpress, origin):
    site = wordpress_site_create(
        actor=SYSTEM,
        name="Misconfigured",
        base_url=wordpress.url,
        username=wordpress.user,
        password="wrong wrong wrong wrong",
    )

    outcome = site_sync(site_id=site.pk)

    site.refresh_from_db()
    assert "refused the credentials" in outcome.error
    assert site.last_error == outcome.error and site.consecutive_failures == 1
    assert site.next_sync_at is not None


def test_a_site_that_is_down_is_a_clear_error_and_a_failed_takedown(wordpress, origin):
    from tests.wordpresstools import free_port

    down = wordpress_site_create(
        actor=SYSTEM,
        name="Down",
        base_url=f"http://127.0.0.1:{free_port()}/",
        username="x",
        password="y",
    )
    outcome = site_sync(site_id=down.pk)
    assert "cannot reach" in outcome.error

    item = ItemFactory(origin=origin)
    WordPressPost.objects.create(site=down, post_id=7, item=item, status="publish")
    [result] = posts_take_down(item_ids=[item.pk], actor=SYSTEM, reason="request")
    assert not result.ok and "cannot reach" in result.detail


def test_only_officers_connect_sites(wordpress):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        wordpress_site_create(
            actor=Actor.staff(UserFactory()),
            name="x",
            base_url=wordpress.url,
            username="u",
            password="p",
        )


@pytest.fixture
def beat(celery_dirs):
    from tests import workers

    mail_dir, log_dir = celery_dirs
    process = workers.start_beat(mail_dir, log_dir, extra_env={"WORDPRESS_SWEEP_SECONDS": "1"})
    yield process
    process.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_scheduled_sweep_runs_on_a_real_worker(celery_worker, beat, wordpress, origin):
    """Beat queues the sweep, a real worker runs it: a taken-down article re-imported under
    a new URL is unpublished within the interval, with no one asking."""
    from tests import workers

    taken = ItemFactory(
        origin=origin,
        original_url=f"https://{origin.domain}/news/{_unique()}",
        body=BODY,
        status=Item.Status.HIDDEN,
    )
    BlockRuleFactory(item=taken, case="TD-2026-00077")
    wordpress_site_create(
        actor=SYSTEM,
        name="Scheduled",
        base_url=wordpress.url,
        username=wordpress.user,
        password=wordpress.password,
    )
    again = _imported(wordpress, f"https://{origin.domain}/news/again-{_unique()}")

    workers.wait_until(
        lambda: wordpress.post(again["id"])["status"] == "draft",
        timeout=90,
        message=f"not unpublished\nbeat:\n{beat.output()}\nworker:\n{celery_worker.output()}",
    )
    assert "sweep_wordpress_sites" in beat.output()
