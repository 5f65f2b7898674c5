"""What the takedowns app does when a lower app signals something about one of its cases."""

from compliance.core.actors import Actor

from .casework import request_flag
from .models import RemovalRequest


def flag_undelivered_mail(sender, *, message, error, **kwargs) -> None:
    """A requester who never got our mail (an acknowledgement, a confirmation, a forwarded
    counter-notice) was not told what the law or our promise says they must be: a person
    has to step in."""
    removal_request = RemovalRequest.objects.filter(reference=message.case).first()
    if not message.case or removal_request is None:
        return
    request_flag(
        removal_request=removal_request,
        reason=f"Mail “{message.subject}” to {', '.join(message.recipients)} could not be "
        f"sent after {message.attempts} attempts ({type(error).__name__}: {error}).",
        actor=Actor.system("outbox"),
    )
