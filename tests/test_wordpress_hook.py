"""The optional importer hook, in a real WordPress: deploy/wordpress/courtesy-check-before-
publish.php asks courtesy's POST /api/v1/checks/ before a post is published, and an
imported article a rule withholds is saved as a draft instead — zero exposure."""

import pytest
from rest_framework.authtoken.models import Token

from compliance.items.models import Item
from tests.factories import BlockRuleFactory, ItemFactory, OriginFactory, UserFactory
from tests.test_wordpress import _imported, _unique


@pytest.fixture
def hooked(wordpress, live_server):
    """The site told where courtesy is (wp-config.php includes this file when present)."""
    token = Token.objects.create(user=UserFactory(username=f"importer-{_unique()}"))
    config = wordpress.folder / "courtesy-api.php"
    config.write_text(
        "<?php\n"
        f"define('COURTESY_API_URL', '{live_server.url}/api/v1/');\n"
        f"define('COURTESY_API_TOKEN', '{token.key}');\n"
    )
    yield wordpress
    config.unlink()


@pytest.mark.django_db(transaction=True)
def test_an_import_a_rule_withholds_is_kept_a_draft_and_others_are_published(hooked):
    origin = OriginFactory(domain=f"tides-{_unique()}.example")
    taken = ItemFactory(
        origin=origin,
        original_url=f"https://{origin.domain}/news/{_unique()}",
        status=Item.Status.HIDDEN,
    )
    BlockRuleFactory(item=taken, case="TD-2026-00099")

    again = _imported(hooked, taken.original_url)
    other = _imported(hooked, f"https://{origin.domain}/news/{_unique()}")

    assert hooked.post(again["id"])["status"] == "draft"
    assert hooked.reader_status(again["link"]) == 404
    assert hooked.post(other["id"])["status"] == "publish"
