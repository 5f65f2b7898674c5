"""The audit trail in words for staff: "request.approved" reads "Request approved", and a
before/after pair reads "Status changed from verified to approved." Codes stay the record;
this is only how the admin shows them."""

import re

CODE = re.compile(r"[a-z]+(_[a-z]+)+")

ACTIONS = {
    "request.received": "Request received",
    "request.verified": "Requester's address verified",
    "request.approved": "Request approved",
    "request.processing": "Takedown started",
    "request.completed": "Takedown completed",
    "request.rejected": "Request rejected",
    "request.withdrawn": "Request withdrawn",
    "request.reversed": "Takedown reversed",
    "request.self_check": "Self-check of the takedown",
    "request.verification_resent": "Verification link sent again",
    "request.updated": "Request edited",
    "request.message_received": "Message received on the thread",
    "request.flagged": "Flagged for attention",
    "request.attention_cleared": "Attention flag cleared",
    "request.assigned": "Assigned",
    "request.explanation_published": "Public explanation published",
    "request.duplicate_joined": "Duplicate notice joined this request",
    "item.hidden": "Item taken down",
    "item.restored": "Item restored",
    "item.withheld": "Item withheld at ingest",
    "item.published": "Item published",
    "item.updated": "Item updated by its feed",
    "item.reattributed": "Item reattributed",
    "rule.created": "Block rule created",
    "rule.deactivated": "Block rule lifted",
    "origin.blocked": "Origin blocked",
    "origin.unblocked": "Origin unblocked",
    "origin.flagged": "Origin flagged",
    "feed.paused": "Feed paused",
    "counter_notice.recorded": "Counter-notice recorded",
    "counter_notice.cancelled": "Restoration cancelled (legal action filed)",
    "sender.warning": "Sender warned",
    "sender.suspension": "Sender suspended from filing",
    "sender.lifted": "Sender measure lifted",
    "trusted_flagger.added": "Trusted flagger added",
    "trusted_flagger.changed": "Trusted flagger changed",
}


def action_words(code: str) -> str:
    """The action as staff read it; an unlisted code still reads as words."""
    if code in ACTIONS:
        return ACTIONS[code]
    subject, _, verb = code.partition(".")
    return f"{subject.replace('_', ' ').capitalize()} {verb.replace('_', ' ')}".strip()


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _value(value) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value in (None, "", [], {}):
        return "nothing"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()} {_value(v)}" for k, v in value.items())
    if isinstance(value, str) and CODE.fullmatch(value):
        return value.replace("_", " ")  # a status or choice code: "licence_withdrawn"
    return str(value)


def change_sentences(before: dict | None, after: dict | None) -> list[str]:
    """One sentence per field the event records: changed, set or cleared."""
    before, after = before or {}, after or {}
    sentences = []
    for key in sorted(set(before) | set(after), key=lambda k: (k != "status", k)):
        if key in before and key in after:
            if before[key] == after[key]:
                sentences.append(f"{_label(key)}: {_value(after[key])}.")
            else:
                sentences.append(
                    f"{_label(key)} changed from {_value(before[key])} to {_value(after[key])}."
                )
        elif key in after:
            sentences.append(f"{_label(key)}: {_value(after[key])}.")
        else:
            sentences.append(f"{_label(key)} cleared (was {_value(before[key])}).")
    return sentences
