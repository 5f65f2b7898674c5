"""On a real worker: a takedown carried out by the job ends with its statement of reasons
in the Transparency Database stand-in and its notice in Lumen's, with no staff action."""

import pytest
from django.utils import timezone

from compliance.reports.models import DsaStatement, LumenNotice
from compliance.takedowns.models import RemovalRequest
from compliance.takedowns.tasks import process_takedown
from tests import workers
from tests.factories import ItemFactory, OriginFactory, RemovalRequestFactory, RemovalTargetFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_decision_carried_out_by_the_worker_is_submitted(celery_worker, public_records):
    tdb, lumen = public_records
    origin = OriginFactory(domain="harbour-gazette.example", name="Harbour Gazette")
    item = ItemFactory(origin=origin)
    removal_request = RemovalRequestFactory(
        status=RemovalRequest.Status.APPROVED, origin=origin, decided_at=timezone.now()
    )
    RemovalTargetFactory(request=removal_request, item=item)
    process_takedown.delay(removal_request.pk)

    def submitted():
        statement = DsaStatement.objects.filter(request=removal_request).first()
        notice = LumenNotice.objects.filter(request=removal_request).first()
        return statement and notice and statement.state == notice.state == "submitted"

    try:
        workers.wait_until(submitted, timeout=90)
    except TimeoutError:
        raise AssertionError(f"not submitted\nworker:\n{celery_worker.output()[-6000:]}") from None
    statement = DsaStatement.objects.get(request=removal_request)
    assert tdb.statements[removal_request.reference]["uuid"] == statement.tdb_uuid
    assert LumenNotice.objects.get(request=removal_request).location.startswith(lumen.url)
    assert len(lumen.notices) == 1
