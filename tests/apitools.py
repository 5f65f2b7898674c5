"""Shared pieces of the REST API tests (tests/test_api_*.py): callers with their tokens,
and a small world holding one of everything the API serves."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compliance.audit.models import AuditEvent
from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.items.models import BlockRule, Feed, Item, Origin
from compliance.reports.models import ComplianceReport
from compliance.reports.periods import Period, report_zone
from compliance.reports.services import report_generate
from compliance.takedowns.models import RemovalRequest
from tests.factories import (
    BlockRuleFactory,
    FeedFactory,
    ItemFactory,
    OriginFactory,
    RemovalRequestFactory,
    RemovalTargetFactory,
    UserFactory,
)

API = "/api/v1"
ROLES = ("anonymous", "outsider", "staff", "officer")


def client_for(role: str) -> APIClient:
    """A client calling as `role`: anonymous (no credentials), outsider (a valid token of
    a user who is not staff), staff (plain staff) or officer (Compliance officers), each
    with a token as an integration would."""
    client = APIClient()
    if role == "anonymous":
        return client
    user = UserFactory(
        username=f"api-{role}",
        is_staff=role != "outsider",
        officer=role == "officer",
        password=None,  # token only: no password to hash
    )
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    client.user = user
    return client


def submission(**overrides) -> dict:
    """A valid removal request as the API takes it (JSON)."""
    data = {
        "requester_name": "Robin Rights",
        "requester_email": "robin@rights.example",
        "organisation": "",
        "role": "author",
        "urls": ["https://origin.example/news/one", "http://origin.example/news/two"],
        "scope": "items",
        "future": True,
        "ground": "copyright",
        "explanation": "I wrote both articles and never agreed to their republication.",
        "good_faith": True,
        "accuracy": True,
        "signature": "Robin Rights",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


@dataclass
class World:
    origin: Origin
    item: Item
    hidden: Item
    withheld: Item
    feed: Feed
    request: RemovalRequest  # verified: may be approved, rejected or withdrawn
    rule: BlockRule
    report: ComplianceReport
    event: AuditEvent


def make_world() -> World:
    origin = OriginFactory(domain="harbour.example", name="Harbour Gazette")
    item = ItemFactory(origin=origin, title="A published synthetic headline")
    request = RemovalRequestFactory(
        status=RemovalRequest.Status.VERIFIED, verified_at=timezone.now(), origin=origin
    )
    RemovalTargetFactory(request=request, item=item)
    hidden_by = RemovalRequestFactory(status=RemovalRequest.Status.COMPLETED)
    hidden = ItemFactory(
        origin=origin,
        title="A hidden synthetic headline",
        status=Item.Status.HIDDEN,
        status_reason="removal request",
        status_request=hidden_by,
    )
    withheld = ItemFactory(
        origin=origin,
        title="A withheld synthetic headline",
        status=Item.Status.WITHHELD,
        status_reason="origin blocked",
        republished_at=None,
    )
    rule = BlockRuleFactory(item=hidden, request=hidden_by)
    yesterday = timezone.localdate() - timedelta(days=1)
    report = report_generate(period=Period("daily", yesterday, yesterday, report_zone()))
    event = audit_record(
        actor=Actor.system("test"), action="item.published", obj=item, reason="synthetic"
    )
    return World(
        origin=origin,
        item=item,
        hidden=hidden,
        withheld=withheld,
        feed=FeedFactory(origin=origin),
        request=request,
        rule=rule,
        report=report,
        event=event,
    )
