"""The WordPress destination: a takedown unpublishes the items' posts on the site, a
restoration publishes them again, and each is acknowledged only once every post's public
page answers as it should to an anonymous reader (404/410/451 gone, 200 back): the
self-check, there. Anything else raises DeliveryError, so the delivery is retried with
back-off and, when its attempts run out, the request is flagged and not confirmed."""

from compliance.core.actors import Actor
from compliance.destinations.models import Destination
from compliance.destinations.transports import DeliveryError, transport

from .actions import post_public_status, posts_restore, posts_take_down
from .models import WordPressSite

DESTINATION_ACTOR = Actor.system("destinations")
SHOWN = 5  # failures named in a delivery's answer


@transport(Destination.Kind.WORDPRESS)
def wordpress_deliver(destination: Destination, payload: dict) -> str:
    site = WordPressSite.objects.filter(destination=destination).first()
    if site is None:
        raise DeliveryError("no WordPress site is connected to this destination")
    event, case = payload.get("type"), payload.get("case", "")
    if event not in ("takedown", "restoration"):
        return "nothing to do for this event"
    taking_down = event == "takedown"
    carry_out = posts_take_down if taking_down else posts_restore
    results = carry_out(
        item_ids=[item["id"] for item in payload["items"]],
        actor=DESTINATION_ACTOR,
        reason=f"{event} for removal request {case}",
        case=case,
        site=site,
    )
    failed = [r for r in results if not r.ok]
    if failed:
        raise DeliveryError("; ".join(f"post {r.post.post_id}: {r.detail}" for r in failed[:SHOWN]))
    if not results:
        return f"no post of these items on {site.name}"
    seen = [post_public_status(r.post) for r in results if r.post.public_url]
    wrong = [s for s in seen if s.ok != taking_down]
    if wrong:
        raise DeliveryError(
            "a reader still gets the wrong answer: " + "; ".join(s.detail for s in wrong[:SHOWN])
        )
    done = "unpublished" if taking_down else "published again"
    answers = "; ".join(s.detail for s in seen[:SHOWN])
    return f"{len(results)} post(s) {done} on {site.name}" + (f" ({answers})" if answers else "")
