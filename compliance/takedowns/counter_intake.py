"""Counter-notices from the public form (/takedown/counter-notice/?item=<slug>).

The party whose content was removed fills in the DMCA 512(g)(3) elements and says why the
decision is wrong (the DSA's complaint). The submission is verified by email like a notice,
then waits in the staff queue; accepted, it goes through reversal.counter_notice_record,
the one path that forwards a counter-notice to the requester and starts the 10-business-day
clock.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.items.models import Item
from compliance.messaging.services import mail_queue

from . import reversal
from .models import CounterNoticeSubmission, RemovalRequest

VERIFICATION_MAX_AGE = timedelta(days=7)
Status = CounterNoticeSubmission.Status


def counter_notice_target(*, slug: str) -> tuple[Item, RemovalRequest] | None:
    """The hidden item and the completed request that removed it, or None when there is
    nothing a counter-notice could dispute."""
    item = Item.objects.filter(slug=slug, status=Item.Status.HIDDEN).first()
    if item is None or not item.status_case:
        return None
    removal_request = RemovalRequest.objects.filter(
        reference=item.status_case, status=RemovalRequest.Status.COMPLETED
    ).first()
    return (item, removal_request) if removal_request else None


def _mail(submission: CounterNoticeSubmission, kind: str, subject, context: dict):
    with translation.override(submission.language or settings.LANGUAGE_CODE):
        return mail_queue(
            to=[submission.email],
            subject=f"[{submission.request.reference}] {subject}",
            template=f"emails/{kind}",
            context={"submission": submission, "SITE_NAME": settings.SITE_NAME, **context},
            kind=kind,
            case=submission.request.reference,
        )


def counter_notice_submit(
    *, item: Item, removal_request: RemovalRequest, language: str = "", **fields
) -> CounterNoticeSubmission:
    """Store a counter-notice as `received` and mail its sender the verification link."""
    with transaction.atomic():
        submission = CounterNoticeSubmission.objects.create(
            request=removal_request,
            item=item,
            language=language if language in dict(settings.LANGUAGES) else "",
            token=secrets.token_urlsafe(32),
            **fields,
        )
        audit_record(
            actor=Actor.requester(submission.email),
            action="counter_notice.submitted",
            obj=submission,
            after={"status": Status.RECEIVED, "item": item.pk},
            case=removal_request.reference,
        )
        _mail(
            submission,
            "counter_notice_verification",
            _("Please confirm your counter-notice"),
            {
                "verification_url": f"{settings.SITE_URL}/takedown/counter-notice/verify/"
                f"{submission.token}/",
                "verification_days": VERIFICATION_MAX_AGE.days,
            },
        )
    return submission


def counter_notice_verify(*, token: str) -> tuple[str, CounterNoticeSubmission | None]:
    """(outcome, submission): "verified", "already_verified", "expired" or "invalid".
    The conditional update makes a second click (or a mail scanner's) harmless."""
    submission = CounterNoticeSubmission.objects.filter(token=token).first()
    if submission is None:
        return "invalid", None
    if submission.status != Status.RECEIVED:
        return "already_verified", submission
    if timezone.now() - submission.received_at > VERIFICATION_MAX_AGE:
        return "expired", submission
    with transaction.atomic():
        now = timezone.now()
        claimed = CounterNoticeSubmission.objects.filter(
            pk=submission.pk, status=Status.RECEIVED
        ).update(status=Status.VERIFIED, verified_at=now)
        if not claimed:
            return "already_verified", submission
        audit_record(
            actor=Actor.requester(submission.email),
            action="counter_notice.verified",
            obj=submission,
            before={"status": Status.RECEIVED},
            after={"status": Status.VERIFIED},
            case=submission.request.reference,
        )
    submission.refresh_from_db()
    return "verified", submission


def _claim(submission, user, to: str, **changes) -> CounterNoticeSubmission:
    Actor.staff(user).check_may_decide("decide on counter-notices")
    claimed = CounterNoticeSubmission.objects.filter(
        pk=submission.pk, status=Status.VERIFIED
    ).update(status=to, decided_at=timezone.now(), decided_by=user, **changes)
    if not claimed:
        raise reversal.TransitionError(
            f"only a verified counter-notice can be decided; this one is {submission.status}"
        )
    submission.refresh_from_db()
    return submission


def counter_notice_accept(*, submission: CounterNoticeSubmission, user) -> CounterNoticeSubmission:
    """Staff accept a verified submission: it is recorded as the request's counter-notice,
    forwarded to the requester, and the restoration clock starts (reversal's one path)."""
    with transaction.atomic():
        submission = _claim(submission, user, Status.ACCEPTED)
        notice = reversal.counter_notice_record(
            removal_request=submission.request,
            user=user,
            name=submission.name,
            address=submission.address,
            phone=submission.phone,
            email=submission.email,
            mistake_statement=submission.mistake_statement,
            jurisdiction_consent=submission.jurisdiction_consent,
            signature=submission.signature,
            explanation=f"{submission.explanation}\n\nMaterial: {submission.material}".strip(),
            received_at=submission.received_at,
        )
        submission.counter_notice = notice
        submission.save(update_fields=["counter_notice"])
        audit_record(
            actor=Actor.staff(user),
            action="counter_notice.accepted",
            obj=submission,
            before={"status": Status.VERIFIED},
            after={"status": Status.ACCEPTED, "counter_notice": notice.pk},
            case=submission.request.reference,
        )
    return submission


def counter_notice_decline(
    *, submission: CounterNoticeSubmission, user, reason: str
) -> CounterNoticeSubmission:
    """Staff decline a verified submission (incomplete, or not about this content); its
    sender is told why."""
    if not reason.strip():
        raise ValueError("declining a counter-notice needs a reason: it is sent to its sender")
    with transaction.atomic():
        submission = _claim(submission, user, Status.DECLINED, decision_reason=reason.strip())
        audit_record(
            actor=Actor.staff(user),
            action="counter_notice.declined",
            obj=submission,
            reason=reason.strip(),
            before={"status": Status.VERIFIED},
            after={"status": Status.DECLINED},
            case=submission.request.reference,
        )
        _mail(
            submission,
            "counter_notice_declined",
            _("Your counter-notice was not accepted"),
            {"reason": reason.strip()},
        )
    return submission
