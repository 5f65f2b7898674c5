"""Licences expiring soon are mailed to the report's recipients once per expiry date; the
report counts items hidden because they were removed at origin."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.items.status import items_hide
from compliance.licensing.presence import RECHECK_ACTOR
from compliance.messaging.models import Message
from compliance.reports.figures import report_figures
from compliance.reports.licence_warnings import licences_expiring_warn
from compliance.reports.models import ReportRecipient
from compliance.reports.periods import Period
from compliance.reports.rendering import report_render
from tests.factories import ItemFactory, LicenceBasisFactory, OriginFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)


def test_bases_expiring_within_30_days_are_mailed_once_to_the_recipients():
    ReportRecipient.objects.create(name="Editor", email="editor@example.org")
    ReportRecipient.objects.create(name="Gone", email="gone@example.org", active=False)
    soon = LicenceBasisFactory(
        name="Syndication with Synthetic", expires_at=NOW + timedelta(days=20)
    )
    later = LicenceBasisFactory(name="Later", expires_at=NOW + timedelta(days=40))
    LicenceBasisFactory(name="Already expired", expires_at=NOW - timedelta(days=1))
    OriginFactory(licence_basis=soon)

    assert licences_expiring_warn(now=NOW) == [soon.pk]

    mail = Message.objects.get(kind="licence_expiring")
    assert mail.recipients == ["editor@example.org"]
    assert "Syndication with Synthetic" in mail.subject
    assert "expires 2026-11-25" in mail.text_body and "1 origin(s)" in mail.text_body
    # Once: the next day's run mails nothing new.
    assert licences_expiring_warn(now=NOW + timedelta(days=1)) == []
    assert Message.objects.filter(kind="licence_expiring").count() == 1
    # Renewed to a date that nears in turn: warned again (with the one now due).
    soon.expires_at = NOW + timedelta(days=50)
    soon.save()
    assert licences_expiring_warn(now=NOW + timedelta(days=25)) == [later.pk, soon.pk]


def test_the_report_counts_items_removed_at_origin():
    item, other = ItemFactory(), ItemFactory()
    items_hide(
        items=Item.objects.filter(pk=item.pk), actor=RECHECK_ACTOR, reason="removed at origin"
    )
    items_hide(items=Item.objects.filter(pk=other.pk), actor=Actor.system("takedown"), reason="x")
    today = date.today()
    period = Period("daily", today, today, ZoneInfo("UTC"))
    assert report_figures(period=period)["removed_at_origin"] == 1
    assert "Removed at origin: 1" in report_render(period=period).html
