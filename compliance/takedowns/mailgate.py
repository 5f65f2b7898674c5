"""Mail arriving at the contact address (piped in by `manage.py mailgate`), and what it
means for removal requests.

Every message is kept as it came (raw bytes and all) in a Message row. A new message opens
a removal request on the "email" channel; a reply (the request's reference in the subject,
or In-Reply-To/References naming one of its messages) joins that request's thread;
automatic mail (auto-replies, bounces, lists) is recorded and opens nothing, so two
robots can never keep each other busy. Input that is not a mail message is written to
VAR_DIR/inbox/ and recorded as a row, for staff. Reading the mail itself is
compliance.messaging.inbound's.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from compliance.audit.services import audit_record
from compliance.core.actors import Actor
from compliance.core.normalise import plain_text
from compliance.messaging import inbound
from compliance.messaging.models import Message

from .abuse import suspension_in_force
from .casework import request_flag
from .intake import MAX_EXPLANATION, MAX_URL_LENGTH, MAX_URLS, mail_sender_allowed
from .models import RemovalRequest
from .selectors import request_for_reference
from .submission import request_submit

MAILGATE = "mailgate"
TRUNCATED = "\n\n[… truncated here; the whole message is kept with the request]"


class Outcome:
    OPENED = "opened"  # a new request
    JOINED = "joined"  # a reply, added to its request's thread
    AUTOMATIC = "automatic"  # an auto-reply, bounce or list mail: recorded, nothing opened
    DUPLICATE = "duplicate"  # the same Message-ID again (the mail server retried)
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

    earlier = inbound.message_received_before(mail.message_id)
    if earlier is not None:
        removal_request = RemovalRequest.objects.filter(reference=earlier.case).first()
        return Inbound(Outcome.DUPLICATE, earlier, removal_request)

    with transaction.atomic():
        removal_request = thread_request(mail)
        if removal_request is not None:
            return _join_thread(removal_request, mail)
        if mail.automatic:
            incoming = Message.objects.create(kind="automatic", **mail.fields)
            return Inbound(Outcome.AUTOMATIC, incoming, note=mail.automatic)
        held = _held_reason(mail)
        if held:
            incoming = Message.objects.create(kind="held", **mail.fields)
            return Inbound(Outcome.HELD, incoming, note=held)
        incoming = Message.objects.create(kind="request", **mail.fields)
        explanation = mail.text.strip() or plain_text(mail.html)
        if len(explanation) > MAX_EXPLANATION:
            explanation = explanation[: MAX_EXPLANATION - len(TRUNCATED)].rstrip() + TRUNCATED
        removal_request = request_submit(
            channel=RemovalRequest.Channel.EMAIL,
            requester_email=mail.address,
            requester_name=mail.display_name,
            urls=mail.urls(limit=MAX_URLS, max_length=MAX_URL_LENGTH),
            explanation=explanation,
            incoming_message=incoming,
        )
    if getattr(removal_request, "joined_existing", False):
        # The same notice again from the verified sender: it joined the open request.
        return Inbound(Outcome.JOINED, incoming, removal_request, note="duplicate notice")
    return Inbound(Outcome.OPENED, incoming, removal_request)


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
        kind="automatic" if mail.automatic else "reply",
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
    if not mail.automatic:
        # A person wrote: perhaps that they filed suit during a counter-notice's wait,
        # perhaps more evidence. Someone must read it, whatever the status.
        request_flag(
            removal_request=removal_request,
            actor=Actor.system(MAILGATE),
            reason=f"A message arrived from {mail.address} (“{mail.subject[:120]}”): read the "
            "thread and reply.",
        )
    return Inbound(Outcome.JOINED, incoming, removal_request, note=mail.automatic)
