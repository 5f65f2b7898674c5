"""Mail arriving at the contact address (piped in by `manage.py mailgate`), and what it
means for removal requests.

Every message is kept as it came (raw bytes and all) in a Message row. A new message opens
a removal request on the "email" channel; a reply (the request's reference in the subject,
or In-Reply-To/References naming one of its messages) joins that request's thread;
automatic mail (auto-replies, bounces, lists) is recorded and opens nothing, unless it is a
notice a system sent about our content; a bounce of our mail flags its request. Nothing a
program sent is answered (see mailrobots), so two robots can never keep each other busy.
The same content delivered again is recorded once. Input that is not a mail message is
written to VAR_DIR/inbox/ and recorded as a row, for staff. Reading the mail itself is
compliance.messaging.inbound's.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import plain_text
from compliance.messaging import inbound, robots
from compliance.messaging.models import Message

from . import mailrobots
from .abuse import suspension_in_force
from .casework import request_flag
from .intake import MAX_EXPLANATION, MAX_URL_LENGTH, MAX_URLS, mail_sender_allowed
from .mailrobots import MAILGATE
from .models import RemovalRequest
from .selectors import request_for_reference
from .submission import request_submit
from .targets import known_domains

TRUNCATED = "\n\n[… truncated here; the whole message is kept with the request]"


class Outcome:
    OPENED = "opened"  # a new request
    JOINED = "joined"  # a reply, added to its request's thread
    AUTOMATIC = "automatic"  # an auto-reply, bounce or list mail: recorded, nothing opened
    BOUNCE = "bounce"  # a bounce: on the thread of the request whose mail came back, if any
    DUPLICATE = "duplicate"  # the same content again (the mail server retried)
    HELD = "held"  # over the sender's rate limit, or a suspended sender: kept, unanswered
    UNPARSEABLE = "unparseable"  # not a mail message: kept for staff


@dataclass
class Inbound:
    outcome: str
    message: Message | None = None
    removal_request: RemovalRequest | None = None
    kept_at: Path | None = None
    note: str = ""


def thread_request(mail: inbound.IncomingMail) -> RemovalRequest | None:
    """The request a message replies to: by the reference in its subject, else by the
    messages it says it answers."""
    found = request_for_reference(mail.subject)
    if found is not None:
        return found
    case = inbound.case_replied_to(inbound.replied_ids(mail.in_reply_to, mail.references))
    return RemovalRequest.objects.filter(reference=case).first() if case else None


def message_receive(*, raw: bytes) -> Inbound:
    """Record one incoming mail and route it: a new request, a reply on its request's
    thread, an automatic message kept on its own, or input kept for staff."""
    mail = inbound.mail_read(raw)
    if mail is None:
        path, kept = inbound.message_keep_unparseable(raw)
        return Inbound(Outcome.UNPARSEABLE, kept, kept_at=path)

    earlier = inbound.message_received_before(raw)
    if earlier is not None:
        removal_request = RemovalRequest.objects.filter(reference=earlier.case).first()
        return Inbound(Outcome.DUPLICATE, earlier, removal_request)

    with transaction.atomic():
        if mail.robot.kind == robots.Kind.BOUNCE:
            incoming, removal_request = mailrobots.bounce_receive(mail)
            return Inbound(Outcome.BOUNCE, incoming, removal_request, note=mail.automatic)
        removal_request = thread_request(mail)
        if removal_request is not None:
            return _join_thread(removal_request, mail)
        urls = mail.urls(limit=MAX_URLS, max_length=MAX_URL_LENGTH, known_domains=known_domains)
        if mail.robot.kind and not mailrobots.is_notice_despite_robot(mail, urls):
            incoming = Message.objects.create(kind="automatic", **mail.fields)
            return Inbound(Outcome.AUTOMATIC, incoming, note=mail.automatic)
        held = _held_reason(mail)
        if held:
            incoming = Message.objects.create(kind="held", **mail.fields)
            return Inbound(Outcome.HELD, incoming, note=held)
        return _open_request(mail, urls)


def _open_request(mail: inbound.IncomingMail, urls: list[str]) -> Inbound:
    incoming = Message.objects.create(kind="request", **mail.fields)
    explanation = mail.text.strip() or plain_text(mail.html)
    if len(explanation) > MAX_EXPLANATION:
        explanation = explanation[: MAX_EXPLANATION - len(TRUNCATED)].rstrip() + TRUNCATED
    unanswered = mailrobots.acknowledgement_refusal(mail)
    removal_request = request_submit(
        channel=RemovalRequest.Channel.EMAIL,
        requester_email=mail.address,
        requester_name=mail.display_name,
        urls=urls,
        explanation=explanation,
        incoming_message=incoming,
        acknowledge=not unanswered,
    )
    if getattr(removal_request, "joined_existing", False):
        # The same notice again from the verified sender: it joined the open request.
        return Inbound(Outcome.JOINED, incoming, removal_request, note="duplicate notice")
    if unanswered:
        request_flag(
            removal_request=removal_request,
            actor=Actor.system(MAILGATE),
            reason=f"Opened from mail {unanswered}; the requester has no verification link. "
            "Verify the sender another way.",
        )
    return Inbound(Outcome.OPENED, incoming, removal_request, note=mail.automatic)


def _held_reason(mail: inbound.IncomingMail) -> str:
    """Why a new message opens no request and gets no acknowledgement ("" if it may):
    its sender's hourly limit, or a suspension (compliance.takedowns.abuse)."""
    suspended = suspension_in_force(mail.address)
    if suspended is not None:
        return f"{suspended.sender} is suspended from filing until {suspended.ends_at:%Y-%m-%d}"
    return mail_sender_allowed(mail.address, timezone.now())


def _join_thread(removal_request: RemovalRequest, mail: inbound.IncomingMail) -> Inbound:
    incoming = Message.objects.create(
        case=removal_request.reference,
        kind="automatic" if mail.robot.kind else "reply",
        **mail.fields,
    )
    audit_record(
        actor=Actor.system(MAILGATE),
        action="request.message_received",
        obj=removal_request,
        after={
            "message": incoming.pk,
            "from": mail.address,
            "subject": mail.subject[:200],
            "automatic": bool(mail.automatic),
        },
        case=removal_request.reference,
    )
    if mail.robot.kind not in {robots.Kind.AUTO_REPLY, robots.Kind.OWN}:
        # A person (or a system on their behalf) wrote: perhaps that they filed suit during
        # a counter-notice's wait, perhaps more evidence. Someone must read it.
        request_flag(
            removal_request=removal_request,
            actor=Actor.system(MAILGATE),
            reason=f"A message arrived from {mail.address} (“{mail.subject[:120]}”): read the "
            "thread and reply.",
        )
    return Inbound(Outcome.JOINED, incoming, removal_request, note=mail.automatic)
