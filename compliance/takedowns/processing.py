"""The takedown job: what happens to an approved request.

    approved -> processing   (claimed by the first run; later runs carry on with it)
    hide every item the request covers              one transaction, set-based
    make the block rules "in the future" asks for   (unique per request in the database)
    open a delivery per destination (the outbox)    in the same transaction
    deliver: edge purge, IndexNow, webhooks         first attempt here, retries by the sweep
    self-check over HTTP                            outside any transaction
    processing -> completed + confirmation mail     one transaction: only one run wins

Every step is safe to repeat: hiding touches only what is still published, rules and
origin blocks are made once, and the confirmation is queued in the same transaction as the
processing -> completed transition, which exactly one run can make. A run that is killed
half-way, delivered twice or run concurrently therefore ends the same way, with one mail.
A request left in `processing` (or `approved`, if the broker lost the task) is queued again
by requests_requeue_stuck; a failed self-check flags the request for staff instead of
confirming.
"""

import contextlib
import contextvars
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.destinations.models import Delivery
from compliance.destinations.services import (
    Outcome,
    deliveries_attempt_due,
    deliveries_open,
    deliveries_outcome,
)
from compliance.items.models import BlockRule, Item, Origin
from compliance.items.rules import block_rule_create, origin_block_create
from compliance.items.status import items_hide, items_hide_blocked

from .casework import request_flag
from .mail import request_mail
from .models import RemovalRequest, SelfCheckProgress
from .selectors import request_covered_items, request_target_items
from .selfcheck import OUR_SITE, SelfCheck, run_self_check
from .state import TAKEDOWN_JOB, TransitionError, request_complete, request_start_processing

logger = logging.getLogger("compliance.takedowns")

Status = RemovalRequest.Status
JOB = Actor.system(TAKEDOWN_JOB)
# The confirmation lists this many items by name; a bigger takedown gives the count.
LISTED_ITEMS = 100
SELF_CHECK_FAILED = "Self-check failed"
DELIVERY_FAILED = "Delivery to a destination failed"
Event = Delivery.Event


def request_process(*, removal_request_id: int) -> str:
    """Run the takedown job on one request. Returns what happened, for the log:
    "completed", "waiting" (for a destination's retry), "flagged" (a destination failed
    for good, or the self-check did), or the status that left nothing to do."""
    removal_request = RemovalRequest.objects.filter(pk=removal_request_id).first()
    if removal_request is None:
        return "missing"
    if removal_request.status == Status.APPROVED:
        try:
            request_start_processing(removal_request=removal_request, actor=JOB)
        except TransitionError:
            removal_request.refresh_from_db()  # another run claimed it (or it was withdrawn)
    if removal_request.status != Status.PROCESSING:
        return removal_request.status
    # This run holds the lease now: the stuck sweep leaves it alone for a while.
    _renew_lease(removal_request)
    with transaction.atomic():
        # Any open request may be withdrawn, this one too since the status was read above:
        # hide nothing unless it is still processing, and hold the row meanwhile so that a
        # withdrawal waits for the take-down instead of slipping in under it.
        current = (
            RemovalRequest.objects.select_for_update()
            .filter(pk=removal_request.pk)
            .values_list("status", flat=True)
            .first()
        )
        if current != Status.PROCESSING:
            return current or "missing"
        _take_down(removal_request)
        # The outbox: each destination's delivery, committed with the takedown itself.
        deliveries_open(
            event=Event.TAKEDOWN,
            case=removal_request.reference,
            items=request_covered_items(removal_request).exclude(status=Item.Status.PUBLISHED),
        )
    # First attempt at every destination now, rather than after a trip through the
    # broker; what fails is retried with back-off by the delivery sweep, whose settling
    # queues this job again (takedowns.receivers).
    with _inline_deliveries():
        deliveries_attempt_due(case=removal_request.reference, event=Event.TAKEDOWN)
    outcome = deliveries_outcome(case=removal_request.reference, event=Event.TAKEDOWN)
    if outcome.failed:
        _flag_failed_deliveries(removal_request, outcome)
        return "flagged"
    if not outcome.settled:
        return "waiting"
    # The check asks the site over HTTP (its connections see only committed rows), through
    # each edge cache that acknowledged its purge.
    items = [
        (pk, f"/items/{slug}/")
        for pk, slug in request_covered_items(removal_request).values_list("pk", "slug")
    ]
    # Through an edge cache, a removed page (purged, and a 451 is never stored) is asked of
    # our site too: where there is one, reading through it checks both, in half the
    # requests of reading each.
    edges = [d.destination for d in outcome.acknowledged if d.destination.is_edge]
    checks = [_self_check(removal_request, items, edge=edge) for edge in edges] or [
        _self_check(removal_request, items)
    ]
    if not all(check.passed for check in checks):
        _flag_failed_check(removal_request, checks)
        return "flagged"
    return _complete(removal_request, checks, outcome)


# Set while the job itself attempts deliveries: their settling needs no second run.
INLINE = contextvars.ContextVar("inline_deliveries", default=False)


@contextlib.contextmanager
def _inline_deliveries():
    token = INLINE.set(True)
    try:
        yield
    finally:
        INLINE.reset(token)


def _self_check(removal_request: RemovalRequest, items, *, edge=None) -> SelfCheck:
    """The check at our site (or through `edge`), resumed from its stored progress."""
    where = edge.name if edge else OUR_SITE
    stored, _ = SelfCheckProgress.objects.get_or_create(request=removal_request, where=where)

    def progress(check: SelfCheck) -> None:
        SelfCheckProgress.objects.filter(pk=stored.pk).update(
            done=check.checked, failures=check.failures
        )
        _renew_lease(removal_request)

    check = run_self_check(
        items,
        base=edge.url if edge else "",
        where=where,
        fresh=edge is None,
        start=stored.done,
        failures=stored.failures,
        progress=progress,
    )
    stored.delete()  # over: the next run (after a failure) checks everything again
    return check


def _take_down(removal_request: RemovalRequest) -> None:
    reason = f"Removal request {removal_request.reference}"
    if removal_request.ground:
        reason += f" ({removal_request.get_ground_display().lower()})"
    items_hide(
        items=request_target_items(removal_request),
        actor=JOB,
        reason=reason,
        case=removal_request.reference,
    )
    if removal_request.future:
        _keep_down(removal_request, reason=f"{reason}: now and in the future")
        # Whatever else the new rules cover (a copy under another URL with the same text,
        # say) comes down now too, not at the next re-check.
        items_hide_blocked(case=removal_request.reference, actor=JOB, reason=reason)


def _keep_down(removal_request: RemovalRequest, *, reason: str) -> None:
    """The block rules the request's scope asks for (each made once, see block_rule_create)."""
    Scope = RemovalRequest.Scope
    rule = {"actor": JOB, "reason": reason, "case": removal_request.reference}
    targeted = Item.objects.filter(
        removal_targets__request=removal_request, removal_targets__item__isnull=False
    ).select_related("origin")
    if removal_request.scope == Scope.ORIGIN:
        origins = Origin.objects.filter(
            Q(pk__in=targeted.values("origin")) | Q(pk=removal_request.origin_id)
        )
        for origin in origins.order_by("pk"):
            if not origin_block_create(origin=origin, **rule):
                # Blocked already (by staff, or another request): this request's own rule
                # still keeps it down after the other block is lifted.
                block_rule_create(kind=BlockRule.Kind.ORIGIN, origin=origin, **rule)
        return
    if removal_request.scope == Scope.AUTHOR:
        for item in targeted.exclude(author_key="").order_by("pk"):
            block_rule_create(
                kind=BlockRule.Kind.AUTHOR, origin=item.origin, author=item.author, **rule
            )
        # An item without a named author can only be kept down as itself.
        url_items = targeted.filter(author_key="")
    else:
        # The named items and every copy of them under the same original URL.
        url_items = request_target_items(removal_request).select_related("origin")
    for item in url_items.order_by("pk"):
        block_rule_create(
            kind=BlockRule.Kind.URL,
            origin=item.origin,
            url=item.original_url,
            guid=item.guid,
            text_fingerprint=item.text_fingerprint,
            **rule,
        )
    # A URL that matched none of our items is kept from arriving later, too.
    for target in removal_request.targets.filter(item__isnull=True).order_by("pk"):
        try:
            block_rule_create(kind=BlockRule.Kind.URL, url=target.url, **rule)
        except ValueError:
            logger.info("%s: %r is not a URL a rule can match", removal_request, target.url)


def _flag_failed_deliveries(removal_request: RemovalRequest, outcome: Outcome) -> None:
    failed = "; ".join(
        f"{d.destination.name} ({d.destination.get_kind_display()}) after {d.attempts} "
        f"attempt(s): {d.last_response}"
        for d in outcome.failed
    )
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if current.status != Status.PROCESSING or DELIVERY_FAILED in current.attention_needed:
            return
        request_flag(
            removal_request=current,
            actor=JOB,
            reason=f"{DELIVERY_FAILED}: {failed}. The items are hidden on our site; nothing "
            "was confirmed to the requester. Fix the destination, then retry its delivery "
            "(Deliveries in the admin).",
        )


def checks_audit(checks: list[SelfCheck]) -> dict:
    """The first check (our site's, or through the first edge cache), with the others."""
    return {
        **checks[0].as_audit(),
        "passed": all(c.passed for c in checks),
        "edges": [c.as_audit() for c in checks[1:]],
    }


def _flag_failed_check(removal_request: RemovalRequest, checks: list[SelfCheck]) -> None:
    check = SelfCheck(
        passed=False,
        checked=sum(c.checked for c in checks),
        items=checks[0].items,
        failures=[f"{c.where}: {f}" for c in checks for f in c.failures],
    )
    with transaction.atomic():
        current = RemovalRequest.objects.select_for_update().get(pk=removal_request.pk)
        if current.status != Status.PROCESSING:
            return  # a concurrent run completed it meanwhile
        audit_record(
            actor=JOB,
            action="request.self_check",
            obj=current,
            reason="failed: no confirmation sent",
            after=checks_audit(checks),
            case=current.reference,
        )
        if SELF_CHECK_FAILED in current.attention_needed:
            return  # staff were told already; the check itself is on the record above
        problems = "; ".join(check.failures[:3])
        request_flag(
            removal_request=current,
            actor=JOB,
            reason=f"{SELF_CHECK_FAILED} ({len(check.failures)} problem(s)): {problems}. "
            "The items are hidden; nothing was confirmed to the requester. The job will "
            "check again later.",
        )


def _complete(removal_request: RemovalRequest, checks: list[SelfCheck], outcome: Outcome) -> str:
    try:
        with transaction.atomic():
            request_complete(removal_request=removal_request, actor=JOB, reason="self-check passed")
            audit_record(
                actor=JOB,
                action="request.self_check",
                obj=removal_request,
                reason="passed",
                after=checks_audit(checks),
                case=removal_request.reference,
            )
            request_mail(
                removal_request=removal_request,
                kind="confirmation",
                subject=_("The content you asked about has been removed"),
                context=confirmation_context(removal_request, checks, outcome),
            )
    except TransitionError:
        # Another run completed it first (or it was withdrawn meanwhile): no second mail.
        removal_request.refresh_from_db()
        return f"already {removal_request.status}"
    return "completed"


def confirmation_context(
    removal_request: RemovalRequest, checks: list[SelfCheck], outcome: Outcome | None = None
) -> dict:
    """What the confirmation says: what was removed, what is kept from coming back, where
    else it was carried out (each destination and its answer), and what the self-check
    saw on our site and through each edge cache."""
    edge_checks = {c.where: c for c in checks}
    removed = request_covered_items(removal_request).exclude(status=Item.Status.PUBLISHED)
    rules = removal_request.block_rules.filter(is_active=True).order_by("kind", "pk")
    return {
        "removed": list(removed.select_related("origin").order_by("pk")[:LISTED_ITEMS]),
        "removed_count": removed.count(),
        "unknown_urls": list(
            removal_request.targets.filter(item__isnull=True).values_list("url", flat=True)
        ),
        "rules": [describe_rule(rule) for rule in rules],
        "blocked_origins": list(
            Origin.objects.filter(
                block_rules__in=rules.filter(kind=BlockRule.Kind.ORIGIN)
            ).order_by("domain")
        ),
        "check": checks[0],
        "destinations": [
            {
                "name": d.destination.name,
                "kind": d.destination.get_kind_display(),
                "answer": d.last_response,
                "check": edge_checks.get(d.destination.name),
            }
            for d in (outcome.acknowledged if outcome else [])
        ],
    }


def describe_rule(rule: BlockRule) -> str:
    if rule.kind == BlockRule.Kind.URL:
        copies = " (and the same text under any other address)" if rule.text_fingerprint else ""
        return f"the article at {rule.url}{copies}"
    if rule.kind == BlockRule.Kind.AUTHOR:
        return f"anything by {rule.author} from {rule.domain}"
    return f"everything from {rule.domain} and its subdomains"


def _renew_lease(removal_request: RemovalRequest) -> None:
    """Still at work (a long self-check): keep the stuck sweep from queueing it again."""
    RemovalRequest.objects.filter(pk=removal_request.pk, status=Status.PROCESSING).update(
        processing_started_at=timezone.now()
    )


def requests_requeue_stuck(*, now: datetime | None = None) -> list[int]:
    """Claim the requests the takedown job should have finished: `processing` (a worker
    died, a self-check failed) or `approved` (the broker lost the task) for longer than
    TAKEDOWN_STUCK_MINUTES. Each claim moves processing_started_at to now with a
    conditional update, so overlapping sweeps claim a request once and a request is
    retried at most once per period. Returns the ids to queue."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.TAKEDOWN_STUCK_MINUTES)
    not_recent = Q(processing_started_at__isnull=True) | Q(processing_started_at__lt=cutoff)
    stuck = RemovalRequest.objects.filter(not_recent).filter(
        Q(status=Status.PROCESSING) | Q(status=Status.APPROVED, decided_at__lt=cutoff)
    )
    claimed = []
    for pk, started in stuck.values_list("pk", "processing_started_at"):
        rows = RemovalRequest.objects.filter(
            pk=pk, status__in=[Status.APPROVED, Status.PROCESSING], processing_started_at=started
        )
        if rows.update(processing_started_at=now):
            claimed.append(pk)
    if claimed:
        logger.warning("queueing stuck takedown(s) again: %s", claimed)
    return claimed


def request_process_failed(*, removal_request_id: int, error: str) -> None:
    """The job gave up (its retries ran out): a person must look. Never left silent."""
    removal_request = RemovalRequest.objects.filter(pk=removal_request_id).first()
    if removal_request is None or removal_request.status not in (
        Status.APPROVED,
        Status.PROCESSING,
    ):
        return
    request_flag(
        removal_request=removal_request,
        actor=JOB,
        reason=f"The takedown job failed after its retries: {error}"[:2000],
    )
