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


def carry_on_after_delivery(sender, *, delivery, **kwargs) -> None:
    """A destination acknowledged (or gave up on) a takedown or restoration: once every
    destination has settled, the takedown job carries on (self-check, confirmation); a
    restoration that could not be carried out somewhere needs a person."""
    from compliance.core.queue import enqueue_on_commit
    from compliance.destinations.models import Delivery
    from compliance.destinations.services import deliveries_outcome

    from .processing import INLINE
    from .tasks import confirm_restoration, process_takedown

    removal_request = RemovalRequest.objects.filter(reference=delivery.case).first()
    if removal_request is None:
        return
    if delivery.event == Delivery.Event.RESTORATION and delivery.state == Delivery.State.FAILED:
        request_flag(
            removal_request=removal_request,
            reason=f"The restoration could not be carried out at {delivery.destination.name} "
            f"after {delivery.attempts} attempts: {delivery.last_response}",
            actor=Actor.system("destinations"),
        )
        return
    if not deliveries_outcome(case=delivery.case, event=delivery.event).settled:
        return
    if delivery.event == Delivery.Event.RESTORATION:
        enqueue_on_commit(confirm_restoration, removal_request.pk)
    elif delivery.event == Delivery.Event.TAKEDOWN and not INLINE.get():
        enqueue_on_commit(process_takedown, removal_request.pk)
