"""Which items a removal request names: URL spellings, our own pages, slugs, unknown URLs,
and the author and origin scopes."""

import pytest

from compliance.takedowns.casework import request_update
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.selectors import request_target_items, request_targets
from compliance.takedowns.state import TransitionError
from compliance.takedowns.submission import request_submit
from compliance.takedowns.targets import resolve_urls
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, UserFactory


def submit(urls, scope="items", **fields):
    return request_submit(
        channel="web",
        requester_email="robin@rights.example",
        urls=urls,
        scope=scope,
        **fields,
    )


@pytest.fixture
def item(db):
    origin = OriginFactory(domain="daily.example")
    return ItemFactory(
        origin=origin, original_url="https://daily.example/news/2026/the-river-story", slug="river"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling",
    [
        "https://daily.example/news/2026/the-river-story",
        "http://daily.example/news/2026/the-river-story",
        "https://www.daily.example/news/2026/the-river-story/",
        "https://DAILY.example/news/2026/the-river-story?utm_source=x&fbclid=y#comments",
        "  https://daily.example//news/2026/the-river-story  ",
    ],
)
def test_original_url_resolves_whatever_its_spelling(item, spelling):
    [resolved] = resolve_urls([spelling])
    assert resolved.item == item


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spelling",
    [
        "http://testserver/items/river/",
        "https://www.testserver/items/river?utm_medium=social",
        "/items/river/",
        "river",
    ],
)
def test_our_own_page_or_slug_resolves(item, spelling):
    [resolved] = resolve_urls([spelling])
    assert resolved.item == item


@pytest.mark.django_db
def test_our_own_page_on_the_configured_site_url(item, settings):
    settings.SITE_URL = "https://republish.example"
    assert resolve_urls(["http://www.republish.example/items/river/"])[0].item == item
    # Another site's /items/ path is not ours.
    assert resolve_urls(["https://elsewhere.example/items/river/"])[0].item is None


@pytest.mark.django_db
def test_unknown_urls_are_kept_for_staff_never_dropped(item):
    removal_request = submit(
        [item.original_url, "https://daily.example/never-republished", "no-such-slug"]
    )
    targets = list(request_targets(removal_request))
    assert [t.url for t in targets] == [
        item.original_url,
        "https://daily.example/never-republished",
        "no-such-slug",
    ]
    assert [t.item for t in targets] == [item, None, None]
    assert removal_request.origin == item.origin


@pytest.mark.django_db
def test_resolution_costs_the_same_for_many_urls(item, django_assert_max_num_queries):
    urls = [f"https://daily.example/news/{n}" for n in range(100)] + [item.original_url]
    with django_assert_max_num_queries(2):
        resolved = resolve_urls(urls)
    assert len(resolved) == 101 and resolved[-1].item == item


@pytest.mark.django_db
def test_origin_found_from_a_home_page_url_when_no_item_matches(item):
    removal_request = submit(["https://www.daily.example/"], scope="origin")
    assert removal_request.origin == item.origin
    assert set(request_target_items(removal_request)) == {item}


@pytest.mark.django_db
def test_scope_items_covers_the_listed_items_only(item):
    sibling = ItemFactory(origin=item.origin, author=item.author)
    copy = ItemFactory(origin=item.origin, original_url=item.original_url + "?utm_source=feed")
    removal_request = submit([item.original_url])
    assert set(request_target_items(removal_request)) == {item, copy}
    assert sibling not in request_target_items(removal_request)


@pytest.mark.django_db
def test_scope_author_covers_everything_by_the_author_at_that_origin(item):
    same_author = ItemFactory(origin=item.origin, author="  casey   EXAMPLE ")
    other_author = ItemFactory(origin=item.origin, author="Morgan Other")
    elsewhere = ItemFactory(origin=OriginFactory(domain="weekly.example"), author=item.author)
    removal_request = submit([f"http://testserver/items/{item.slug}/"], scope="author")
    covered = set(request_target_items(removal_request))
    assert covered == {item, same_author}
    assert other_author not in covered and elsewhere not in covered


@pytest.mark.django_db
def test_scope_origin_covers_the_whole_origin(item):
    others = ItemFactory.create_batch(3, origin=item.origin, author="Someone Else")
    elsewhere = ItemFactory(origin=OriginFactory(domain="weekly.example"))
    removal_request = submit([item.original_url], scope="origin")
    assert set(request_target_items(removal_request)) == {item, *others}
    assert elsewhere not in request_target_items(removal_request)


@pytest.mark.django_db
def test_target_items_is_one_query(item, django_assert_num_queries):
    ItemFactory.create_batch(5, origin=item.origin)
    removal_request = submit([item.original_url], scope="author")
    with django_assert_num_queries(1):
        assert len(list(request_target_items(removal_request))) == 6


@pytest.mark.django_db
def test_staff_completing_urls_re_resolves_the_targets(item):
    staff = UserFactory()
    removal_request = submit([])
    assert not removal_request.targets.exists() and removal_request.origin is None
    request_update(
        removal_request=removal_request,
        user=staff,
        urls=[item.original_url, "https://daily.example/unknown"],
        role="author",
        ground="copyright",
    )
    assert [t.item for t in request_targets(removal_request)] == [item, None]
    assert removal_request.origin == item.origin
    assert removal_request.audit_events.filter(action="request.updated").exists()


@pytest.mark.django_db
def test_targets_cannot_change_once_decided(item):
    removal_request = RemovalRequestFactory(status=RemovalRequest.Status.APPROVED)
    with pytest.raises(TransitionError, match="cannot change urls"):
        request_update(
            removal_request=removal_request, user=UserFactory(), urls=[item.original_url]
        )
    # Staff notes stay editable.
    request_update(removal_request=removal_request, user=UserFactory(), staff_notes="Checked.")
    removal_request.refresh_from_db()
    assert removal_request.staff_notes == "Checked."
