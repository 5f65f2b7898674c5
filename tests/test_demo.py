"""`manage.py demo`: synthetic origins, feeds and items loaded by the real ingest, a staff
user, and nothing changed by a second run."""

import re
from base64 import b32decode
from html import escape
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.items.management.commands.demo import DEMO_DIR
from compliance.items.models import BlockRule, Feed, Item, LicenceBasis, Origin

pytestmark = pytest.mark.django_db

FROZEN = (
    "origin__domain",
    "guid",
    "slug",
    "status",
    "title",
    "author",
    "photo_credit",
    "licence_note",
    "licence_note_sha256",
    "disclaimer",
    "disclaimer_sha256",
    "republished_at",
)


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot() -> dict:
    return {
        "counts": [
            model.objects.count()
            for model in (Origin, Feed, Item, LicenceBasis, BlockRule, get_user_model())
        ],
        "items": list(Item.objects.order_by("guid").values_list(*FROZEN)),
    }


def test_demo_loads_origins_items_and_a_staff_user(client, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "tide-tables-42")

    output = run_demo()

    assert "new 6, updated 0, withheld 1, failed 0" in output
    assert "admin / password: tide-tables-42" in output
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password("tide-tables-42")
    # A superuser signs in with a second factor: the demo prints its key and codes, and
    # the printed key really is the one that signs in.
    key = re.search(r"key: ([A-Z2-7]+)", output).group(1)
    device = TOTPDevice.objects.get(user=admin)
    assert b32decode(key + "=" * (-len(key) % 8)) == device.bin_key
    code = re.search(r"recovery codes \(each works once\): (\S+)", output).group(1)
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": "tide-tables-42", "otp_token": code, "next": "/admin/"},
    )
    assert response.status_code == 302 and client.get("/admin/").status_code == 200

    gazette = Origin.objects.get(domain="harbourlight-gazette.example")
    review = Origin.objects.get(domain="fennel-review.example")
    assert gazette.licence_basis.kind == LicenceBasis.Kind.PUBLIC_FEED
    assert review.licence_basis.kind == LicenceBasis.Kind.CREATIVE_COMMONS
    assert review.licence_basis.licence_url == "https://creativecommons.org/licenses/by/4.0/"
    # The feeds are the files in the repository, read by ingest.
    assert {feed.url for feed in Feed.objects.all()} == {
        path.as_uri() for path in DEMO_DIR.glob("*.xml")
    }

    published = Item.objects.published()
    assert published.filter(origin=gazette).count() == 3
    assert published.filter(origin=review).count() == 3
    for item in published:
        assert item.author and item.photo_credit and item.image_url.startswith("https://")
        assert item.body.count("<p>") >= 3
        assert item.origin.name in item.disclaimer
        assert item.licence_note and item.disclaimer_sha256
    assert (
        published.filter(origin=review)
        .first()
        .licence_note.endswith("https://creativecommons.org/licenses/by/4.0/")
    )

    withheld = Item.objects.get(status=Item.Status.WITHHELD)
    assert withheld.author == "Bartholomew Quince"
    assert withheld.status_rule.kind == BlockRule.Kind.AUTHOR

    home = client.get("/").content.decode()
    assert all(escape(item.title) in home for item in published)
    assert escape(withheld.title) not in home
    response = client.get(withheld.get_absolute_url())
    assert response.status_code == 451
    assert "block rule" in response.content.decode()


def test_running_demo_twice_changes_nothing(monkeypatch):
    run_demo()
    before = snapshot()
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "a-different-password")

    output = run_demo()

    assert "new 0, updated 0, withheld 0, failed 0" in output
    assert "a-different-password" not in output
    assert snapshot() == before
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password("courtesy-demo")
