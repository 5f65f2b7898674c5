"""Every service that decides checks the actor's permission itself: called directly as plain
staff (no admin, no API in between), each one refuses and changes nothing. An entry point
added later cannot skip the check."""

import pytest
from django.core.exceptions import PermissionDenied

from compliance.audit.models import AuditEvent
from compliance.core.actors import Actor
from compliance.items.models import BlockRule, Item
from compliance.items.rules import (
    block_rule_create,
    block_rule_deactivate,
    origin_block_create,
    origin_block_lift,
)
from compliance.items.status import items_hide, items_restore
from compliance.takedowns.casework import request_explanation_publish
from compliance.takedowns.decisions import request_approve, request_reject
from compliance.takedowns.reversal import (
    counter_notice_cancel,
    counter_notice_record,
    request_restore,
)
from tests.factories import (
    BlockRuleFactory,
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COUNTER_NOTICE = {
    "name": "Avery Author",
    "address": "1 Invented Lane",
    "phone": "+1 555 0100",
    "email": "avery@author.example",
    "mistake_statement": True,
    "jurisdiction_consent": True,
    "signature": "Avery Author",
}


def _pending_counter_notice():
    from compliance.takedowns.models import CounterNotice

    request = RemovalRequestFactory(status="completed")
    return CounterNotice.objects.create(request=request, **COUNTER_NOTICE)


DECISIONS = {
    "approve a request": lambda user: request_approve(
        removal_request=RemovalRequestFactory(status="verified"), user=user
    ),
    "reject a request": lambda user: request_reject(
        removal_request=RemovalRequestFactory(status="verified"), user=user, reason="no"
    ),
    "hide items": lambda user: items_hide(
        items=Item.objects.filter(pk=ItemFactory().pk), actor=Actor.staff(user), reason="x"
    ),
    "restore items": lambda user: items_restore(
        items=Item.objects.filter(pk=ItemFactory(status="hidden").pk),
        actor=Actor.staff(user),
        reason="x",
    ),
    "make a block rule": lambda user: block_rule_create(
        kind="origin", origin=OriginFactory(), actor=Actor.staff(user)
    ),
    "stop a block rule": lambda user: block_rule_deactivate(
        rule=BlockRuleFactory(kind="origin"), actor=Actor.staff(user), reason="x"
    ),
    "block an origin": lambda user: origin_block_create(
        origin=OriginFactory(), actor=Actor.staff(user), reason="x"
    ),
    "unblock an origin": lambda user: origin_block_lift(
        origin=BlockRuleFactory(kind="origin").origin, actor=Actor.staff(user), reason="x"
    ),
    "record a counter-notice": lambda user: counter_notice_record(
        removal_request=RemovalRequestFactory(status="completed"), user=user, **COUNTER_NOTICE
    ),
    "cancel a restoration": lambda user: counter_notice_cancel(
        counter_notice=_pending_counter_notice(), user=user, note="suit filed"
    ),
    "restore now": lambda user: request_restore(
        removal_request=RemovalRequestFactory(status="completed"),
        actor=Actor.staff(user),
        reason="x",
    ),
    "publish an explanation": lambda user: request_explanation_publish(
        removal_request=RemovalRequestFactory(status="completed"), user=user, text="redacted"
    ),
}


@pytest.mark.parametrize("decision", list(DECISIONS), ids=list(DECISIONS))
def test_plain_staff_are_refused_by_the_service_itself(decision):
    plain_staff = UserFactory(officer=False)
    with pytest.raises(PermissionDenied):
        DECISIONS[decision](plain_staff)
    # Nothing was decided: no event in the trail (every decision writes one), no rule
    # stopped, no item moved from the status its test gave it.
    assert not AuditEvent.objects.exists()
    assert not BlockRule.objects.filter(is_active=False).exists()
    assert not Item.objects.filter(status="withheld").exists()


@pytest.mark.parametrize("decision", list(DECISIONS), ids=list(DECISIONS))
def test_an_officer_may(decision):
    """The same calls go through for a compliance officer: the refusal is about who asks."""
    DECISIONS[decision](UserFactory(officer=True))
