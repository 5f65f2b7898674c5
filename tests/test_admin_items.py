"""Staff pages for licence bases, origins, feeds and items, driven as a superuser would."""

import pytest

from compliance.audit.models import AuditEvent
from compliance.items.models import Feed, Item, LicenceBasis, Origin
from compliance.items.staydown import origin_block
from tests.factories import (
    FeedFactory,
    ItemFactory,
    LicenceBasisFactory,
    OriginFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    return client


@pytest.fixture
def catalogue():
    cc = LicenceBasisFactory(
        name="CC BY 4.0",
        kind=LicenceBasis.Kind.CREATIVE_COMMONS,
        licence_url="https://creativecommons.org/licenses/by/4.0/",
    )
    fennel = OriginFactory(domain="fennel.example", name="Fennel Review", licence_basis=cc)
    harbour = OriginFactory(domain="harbour.example", name="Harbour Post")
    return {
        "fennel": fennel,
        "harbour": harbour,
        "cc_item": ItemFactory(origin=fennel, title="Orchard wardens count the bees"),
        "hidden": ItemFactory(
            origin=harbour,
            title="Quay lights dimmed for winter",
            author="Peregrine Holt",
            status=Item.Status.HIDDEN,
        ),
        "feed": FeedFactory(origin=harbour, url="https://harbour.example/rss"),
    }


def titles_listed(response) -> set[str]:
    assert response.status_code == 200
    return {str(obj) for obj in response.context["cl"].result_list}


# --- Changelists: filters and search ------------------------------------------------------


def test_item_changelist_filters_and_search(admin_client, catalogue):
    url = "/admin/items/item/"
    everything = {"Orchard wardens count the bees", "Quay lights dimmed for winter"}

    assert titles_listed(admin_client.get(url)) == everything
    assert titles_listed(admin_client.get(url, {"status__exact": "hidden"})) == {
        "Quay lights dimmed for winter"
    }
    assert titles_listed(admin_client.get(url, {"origin__id__exact": catalogue["fennel"].pk})) == {
        "Orchard wardens count the bees"
    }
    assert titles_listed(
        admin_client.get(url, {"licence_basis__kind__exact": "creative_commons"})
    ) == {"Orchard wardens count the bees"}
    assert titles_listed(admin_client.get(url, {"q": "peregrine"})) == {
        "Quay lights dimmed for winter"
    }
    assert titles_listed(admin_client.get(url, {"q": "orchard"})) == {
        "Orchard wardens count the bees"
    }
    assert titles_listed(admin_client.get(url, {"q": catalogue["cc_item"].original_url})) == {
        "Orchard wardens count the bees"
    }


def test_origin_feed_and_licence_changelists_filter_and_search(admin_client, catalogue):
    origins = "/admin/items/origin/"
    assert titles_listed(admin_client.get(origins, {"q": "fennel.example"})) == {"Fennel Review"}
    assert titles_listed(admin_client.get(origins, {"q": "harbour post"})) == {"Harbour Post"}
    assert titles_listed(
        admin_client.get(origins, {"licence_basis__kind__exact": "creative_commons"})
    ) == {"Fennel Review"}

    feeds = "/admin/items/feed/"
    assert titles_listed(admin_client.get(feeds, {"q": "harbour.example/rss"})) == {
        "https://harbour.example/rss"
    }
    assert titles_listed(admin_client.get(feeds, {"q": "nothing-like-it"})) == set()

    bases = "/admin/items/licencebasis/"
    assert titles_listed(admin_client.get(bases, {"kind__exact": "creative_commons"})) == {
        "CC BY 4.0"
    }


def test_change_pages_render(admin_client, catalogue):
    feed = catalogue["feed"]
    Feed.objects.filter(pk=feed.pk).update(
        last_outcome=Feed.Outcome.ERROR,
        last_error="HTTP 503 from https://harbour.example/rss",
        consecutive_failures=4,
    )
    pages = [
        f"/admin/items/item/{catalogue['cc_item'].pk}/change/",
        f"/admin/items/item/{catalogue['hidden'].pk}/change/",
        f"/admin/items/origin/{catalogue['fennel'].pk}/change/",
        f"/admin/items/feed/{feed.pk}/change/",
        f"/admin/items/licencebasis/{catalogue['fennel'].licence_basis.pk}/change/",
        "/admin/items/origin/add/",
        "/admin/items/feed/add/",
        "/admin/items/licencebasis/add/",
    ]
    for page in pages:
        assert admin_client.get(page).status_code == 200, page

    feed_page = admin_client.get(f"/admin/items/feed/{feed.pk}/change/").content.decode()
    assert "HTTP 503 from https://harbour.example/rss" in feed_page
    assert "Error" in feed_page


# --- Items are records: nothing of one can be changed here -------------------------------


def test_item_fields_cannot_be_changed_through_the_admin(admin_client, catalogue):
    item = catalogue["cc_item"]
    frozen = Item.objects.values().get(pk=item.pk)
    page = admin_client.get(f"/admin/items/item/{item.pk}/change/").content.decode()
    assert item.disclaimer in page  # shown, as text
    assert 'name="disclaimer"' not in page and 'name="status"' not in page
    assert 'name="_save"' not in page

    response = admin_client.post(
        f"/admin/items/item/{item.pk}/change/",
        {
            "title": "Rewritten",
            "status": "hidden",
            "disclaimer": "A different disclaimer",
            "disclaimer_sha256": "0" * 64,
            "licence_note": "A different note",
            "licence_note_sha256": "0" * 64,
            "url_key": "0" * 64,
            "author_key": "someone else",
            "text_fingerprint": "0" * 64,
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    assert Item.objects.values().get(pk=item.pk) == frozen


def test_items_are_neither_added_nor_deleted_in_the_admin(admin_client, catalogue):
    item = catalogue["cc_item"]

    assert admin_client.get("/admin/items/item/add/").status_code == 403
    response = admin_client.post(f"/admin/items/item/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Item.objects.filter(pk=item.pk).exists()


# --- Origins: domain validated and normalised ---------------------------------------------


def origin_form(**overrides):
    return {
        "domain": "lantern.example",
        "name": "Lantern Weekly",
        "home_page": "https://lantern.example/",
        "contact_emails": "",
        "licence_basis": "",
        "disclaimer_template": "",
        "canonical_to_original": "on",
        "attention_needed": "",
        **overrides,
    }


def test_origin_domain_is_normalised_and_the_creation_audited(admin_client):
    response = admin_client.post(
        "/admin/items/origin/add/", origin_form(domain="https://WWW.Lantern.Example/news/")
    )

    assert response.status_code == 302
    origin = Origin.objects.get(name="Lantern Weekly")
    assert origin.domain == "lantern.example"
    event = AuditEvent.objects.for_object(origin).get()
    assert (event.action, event.actor_name) == ("origin.created", "root")
    assert event.after["domain"] == "lantern.example"


@pytest.mark.parametrize("domain", ["not a domain", "example", "http://", "lantern..example"])
def test_origin_domain_must_be_a_domain(admin_client, domain):
    response = admin_client.post("/admin/items/origin/add/", origin_form(domain=domain))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["domain"]
    assert not Origin.objects.exists()


def test_origin_domain_is_unique_whatever_its_spelling(admin_client):
    OriginFactory(domain="lantern.example")

    response = admin_client.post(
        "/admin/items/origin/add/", origin_form(domain="WWW.LANTERN.EXAMPLE")
    )

    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert Origin.objects.count() == 1


def test_origin_disclaimer_template_must_compile(admin_client):
    response = admin_client.post(
        "/admin/items/origin/add/", origin_form(disclaimer_template="Courtesy of {% if %}")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["disclaimer_template"]


def test_origin_block_fields_are_read_only(admin_client):
    origin = OriginFactory(domain="lantern.example", name="Lantern Weekly")

    response = admin_client.post(
        f"/admin/items/origin/{origin.pk}/change/",
        origin_form(
            noindex="on", blocked_at="2026-01-01 00:00:00", licence_basis=origin.licence_basis.pk
        ),
    )

    assert response.status_code == 302
    origin.refresh_from_db()
    assert origin.noindex is True
    assert origin_block(origin.domain) is None
    event = AuditEvent.objects.for_object(origin).get()
    assert event.action == "origin.changed"
    assert (event.before, event.after) == ({"noindex": False}, {"noindex": True})


# --- Feeds: http(s) only when entered here ------------------------------------------------


def feed_form(origin, **overrides):
    return {
        "origin": origin.pk,
        "url": "https://lantern.example/feed.xml",
        "title": "",
        "is_active": "on",
        "poll_interval_minutes": "30",
        **overrides,
    }


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/srv/feeds/lantern.xml", "ftp://lantern.example/feed.xml"]
)
def test_feed_url_entered_in_the_admin_must_be_http(admin_client, url):
    origin = OriginFactory()

    response = admin_client.post("/admin/items/feed/add/", feed_form(origin, url=url))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["url"]
    assert not Feed.objects.exists()


def test_feed_with_http_url_is_added_and_audited(admin_client):
    origin = OriginFactory()

    response = admin_client.post("/admin/items/feed/add/", feed_form(origin))

    assert response.status_code == 302
    feed = Feed.objects.get()
    assert feed.url == "https://lantern.example/feed.xml"
    assert AuditEvent.objects.for_object(feed).get().action == "feed.created"


def test_a_file_feed_added_by_the_command_can_still_be_edited(admin_client):
    feed = FeedFactory(url="file:///srv/courtesy/demo/lantern.xml")

    response = admin_client.post(
        f"/admin/items/feed/{feed.pk}/change/",
        feed_form(feed.origin, url=feed.url, is_active="", poll_interval_minutes="60"),
    )

    assert response.status_code == 302
    feed.refresh_from_db()
    assert (feed.url, feed.is_active, feed.poll_interval_minutes) == (
        "file:///srv/courtesy/demo/lantern.xml",
        False,
        60,
    )


# --- Licence bases ------------------------------------------------------------------------


def test_a_creative_commons_basis_needs_its_licence_url(admin_client):
    response = admin_client.post(
        "/admin/items/licencebasis/add/",
        {"name": "CC BY-SA 4.0", "kind": "creative_commons", "licence_url": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["licence_url"]
    assert not LicenceBasis.objects.exists()


def test_plain_staff_read_items_origins_feeds_and_bases_but_change_nothing(client, catalogue):
    # DESIGN: staff outside "Compliance officers" may read, not decide.
    client.force_login(UserFactory(username="reader"))
    origin, feed, item = catalogue["harbour"], catalogue["feed"], catalogue["hidden"]

    assert "Quay lights dimmed for winter" in titles_listed(client.get("/admin/items/item/"))
    page = client.get(f"/admin/items/item/{item.pk}/change/")
    assert page.status_code == 200 and "Quay lights dimmed for winter" in page.content.decode()
    # No decision is offered to a reader.
    assert "hide_items" not in client.get("/admin/items/item/").content.decode()
    for url, obj in (
        ("/admin/items/origin/", origin),
        ("/admin/items/feed/", feed),
        ("/admin/items/licencebasis/", catalogue["fennel"].licence_basis),
    ):
        assert str(obj) in titles_listed(client.get(url))
        assert client.get(f"{url}{obj.pk}/change/").status_code == 200
        assert client.get(f"{url}add/").status_code == 403

    response = client.post(
        f"/admin/items/origin/{origin.pk}/change/",
        {"domain": origin.domain, "name": "Renamed by a reader", "home_page": origin.home_page},
    )
    assert response.status_code == 403
    origin.refresh_from_db()
    assert origin.name == "Harbour Post"
