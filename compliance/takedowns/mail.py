"""Mail to the requester: written to the outbox in the caller's transaction, threaded on the
request's first message, with the reference in the subject, so that replies find their way
back to the request."""

from django.conf import settings
from django.utils import translation

from compliance.messaging.models import Message
from compliance.messaging.services import mail_queue

from .models import RemovalRequest
from .selectors import request_first_message
from .tokens import status_url


def request_mail(
    *, removal_request: RemovalRequest, kind: str, subject: str, context: dict | None = None
) -> Message:
    """Queue the mail `templates/emails/<kind>.*` to the requester, in the language the
    request was made in (`subject` may be a lazy translation: it is rendered here too)."""
    with translation.override(removal_request.language or settings.LANGUAGE_CODE):
        return _request_mail(removal_request, kind, str(subject), context)


def _request_mail(removal_request, kind, subject, context) -> Message:
    first = request_first_message(removal_request)
    in_reply_to = first.message_id if first else ""
    references = " ".join(filter(None, [first.references, first.message_id])) if first else ""
    return mail_queue(
        to=[removal_request.requester_email],
        subject=f"[{removal_request.reference}] {subject}",
        template=f"emails/{kind}",
        context={
            "removal_request": removal_request,
            "status_url": status_url(removal_request),
            "SITE_NAME": settings.SITE_NAME,
            **(context or {}),
        },
        kind=kind,
        case=removal_request.reference,
        in_reply_to=in_reply_to,
        references=references,
    )
