"""Exports of one decision, from the same records as everything else.

- `dsa_statement`: a statement of reasons with the field names and enumerated values of the
  EU DSA Transparency Database API, v2 (POST /api/v1/statement; see
  https://transparency.dsa.ec.europa.eu/page/api-documentation-two). It carries no personal
  data, as the database requires: no requester name, address or free text of theirs
  unless staff published a redacted explanation.
- `lumen_notice`: the notice in the shape Lumen's API accepts (POST /notices, a "notice"
  with works_attributes, copyrighted/infringing URLs and entity_notice_roles_attributes
  for the sender, principal and recipient). Lumen publishes senders' names; it gets no
  e-mail address, and the body is the redacted explanation. For privacy and defamation
  nothing names the person or the article: the sender is a role, there is no body, and the
  URLs are courtesy's opaque item addresses (`item_reference_url`).
- `dsa_reversal_statement`: a reversal's own statement (the database has no update).

These build the payloads that compliance.reports.public_records stores at each decision;
exports and submission read the stored payloads.
"""

import functools
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from compliance.audit.models import AuditEvent
from compliance.items.models import Item
from compliance.takedowns.models import RemovalRequest

from .redaction import redact

Ground = RemovalRequest.Ground
# The audit actions by which a takedown puts an item out of sight (or keeps it out).
TAKEDOWN_ACTIONS = ("item.hidden", "item.withheld")
ITEM_REFERENCE_PATH = "/items/ref/{pk}/"
# The Transparency Database's length limits (API v2).
FACTS_LIMIT = 5000

# The EU and EEA member states: the site is reachable in all of them.
EEA_COUNTRIES = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "IS", "LI", "NO",
]  # fmt: skip

# Our grounds on the Transparency Database's categories and keywords (API v2, in force since
# 1 July 2025, which renamed STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE to
# STATEMENT_CATEGORY_OTHER_VIOLATION_TC; only the new name is among its allowed values).
DSA_CATEGORY = {
    Ground.COPYRIGHT: "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    Ground.LICENCE_WITHDRAWN: "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    Ground.PRIVACY: "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    Ground.DEFAMATION: "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    Ground.OTHER: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
}
DSA_KEYWORDS = {
    Ground.COPYRIGHT: ["KEYWORD_COPYRIGHT_INFRINGEMENT"],
    Ground.LICENCE_WITHDRAWN: ["KEYWORD_COPYRIGHT_INFRINGEMENT"],
    Ground.DEFAMATION: ["KEYWORD_DEFAMATION"],
}
LEGAL_GROUND = {
    Ground.COPYRIGHT: "Copyright: reproduction and making available to the public without the "
    "rightholder's authorisation (Directive 2001/29/EC, Articles 2 and 3, as implemented in "
    "national law).",
    Ground.LICENCE_WITHDRAWN: "Copyright: the rightholder withdrew the permission under which "
    "the article was republished (Directive 2001/29/EC, Articles 2 and 3, as implemented in "
    "national law).",
    Ground.PRIVACY: "Data protection and privacy: Regulation (EU) 2016/679 (GDPR), Article 17 "
    "(right to erasure), and national privacy law.",
    Ground.DEFAMATION: "Defamation under the applicable national law.",
}
# Requests on other grounds are honoured under our own policy, printed under every item.
INCOMPATIBLE_GROUND = (
    "Republication policy stated under every republished article: content is removed, now "
    "and, when asked, in the future, at the request of its author or of the site that "
    "published it."
)
LUMEN_TYPE = {
    Ground.COPYRIGHT: "DMCA",
    Ground.LICENCE_WITHDRAWN: "DMCA",
    Ground.PRIVACY: "PrivateInformation",
    Ground.DEFAMATION: "Defamation",
    Ground.OTHER: "Other",
}
LUMEN_SOURCE = {
    RemovalRequest.Channel.WEB: "Online Form",
    RemovalRequest.Channel.EMAIL: "Email",
    RemovalRequest.Channel.API: "API",
    RemovalRequest.Channel.STAFF: "Other",
}


def _targets(removal_request):
    return list(removal_request.targets.all())


def _items(removal_request):
    return [target.item for target in _targets(removal_request) if target.item_id]


def _ground(removal_request) -> str:
    return removal_request.ground or Ground.OTHER


def taken_down_count(removal_request) -> int:
    """How many items the request's takedown took down, as the audit trail records them:
    the listed items and, for an author or origin scope or "in the future", every other
    item its rules caught (one query)."""
    if not removal_request.reference:
        return 0
    return (
        AuditEvent.objects.filter(
            case=removal_request.reference,
            action__in=TAKEDOWN_ACTIONS,
            content_type=ContentType.objects.get_for_model(Item),
        )
        .values("object_id")
        .distinct()
        .count()
    )


def puid(removal_request) -> str:
    """Unique and stable: the request's reference (letters, digits and hyphens only)."""
    return removal_request.reference or f"request-{removal_request.pk}"


def _personal_names(removal_request) -> list[str]:
    return [
        removal_request.requester_name,
        removal_request.signature,
        removal_request.organisation,
        removal_request.requester_email,
    ]


def _explanation(removal_request, items) -> str:
    if removal_request.public_explanation and removal_request.is_about_a_person:
        # Staff published it, but an article's title may still name the person.
        names = _personal_names(removal_request) + [item.title for item in items]
        return redact(removal_request.public_explanation, names=names)
    if removal_request.public_explanation:
        return removal_request.public_explanation
    ground = removal_request.get_ground_display() or "Other"
    origin = removal_request.origin.domain if removal_request.origin else "the origin site"
    return (
        f"A notice on the ground “{ground}” from the {_role(removal_request)} stated that "
        f"the republication of {len(items)} article(s) from {origin} was not authorised. "
        "The notice was checked against our records of the republished articles before "
        "access was disabled."
    )


def _role(removal_request) -> str:
    return {
        RemovalRequest.Role.AUTHOR: "author of the content",
        RemovalRequest.Role.RIGHTS_HOLDER: "rights holder or the origin site's representative",
        RemovalRequest.Role.AGENT: "rights holder's authorised agent",
    }.get(removal_request.role, "notifier")


def _facts(removal_request, items) -> str:
    scope = removal_request.get_scope_display().lower()
    future = " now and in the future" if removal_request.future else ""
    decided = (
        "approved automatically, the notifier's address being at the origin site's own domain"
        if removal_request.approved_automatically
        else "reviewed and approved by compliance staff"
    )
    received = removal_request.received_at
    count = max(taken_down_count(removal_request), len(items))
    facts = (
        f"Removal request {puid(removal_request)} was received on {received:%Y-%m-%d} "
        f"({removal_request.get_channel_display().lower()}) from the {_role(removal_request)}, "
        f"asking for the removal of {scope}{future}. It was {decided}. "
        f"{count} republished article(s) were made inaccessible: their pages answer "
        "HTTP 451 and they left the site's lists, feed and sitemap."
    )
    if removal_request.future:
        facts += " Block rules keep the same content from being republished again."
    evidence = getattr(removal_request, "evidence_count", None)
    if evidence is None:
        evidence = removal_request.evidence.count()
    if evidence:
        facts += f" The notice came with {evidence} evidence file(s), kept unpublished."
    return facts[:FACTS_LIMIT]


# The Transparency Database refuses a content_date before this day.
FIRST_CONTENT_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def _content_date(removal_request, items) -> str:
    """The database's "upload or posting date of the content": when we republished it
    (else the origin's date). A feed's impossible date (1970-01-01) would get the statement
    refused, so such dates are passed over; failing all, the notice's date."""
    dates = [item.republished_at or item.published_at for item in items]
    dates = [d for d in dates if d is not None and d >= FIRST_CONTENT_DATE]
    return f"{min(dates) if dates else removal_request.received_at:%Y-%m-%d}"


def _source_type(removal_request) -> str:
    """A trusted flagger's notice (Art. 22) is its own source; the web form's fields are a
    full Article 16 notice; anything else (mail, the API, staff) another notification."""
    if removal_request.trusted_flagger_id:
        return "SOURCE_TRUSTED_FLAGGER"
    if removal_request.channel == RemovalRequest.Channel.WEB:
        return "SOURCE_ARTICLE_16"
    return "SOURCE_TYPE_OTHER_NOTIFICATION"


def _in_english(export):
    """Exports are records for regulators and Lumen: in English whatever the staff user's
    language (the choices' labels are translated for the pages)."""

    @functools.wraps(export)
    def wrapper(removal_request):
        with translation.override("en"):
            return export(removal_request)

    return wrapper


@_in_english
def dsa_statement(removal_request) -> dict:
    """The DSA statement of reasons for a completed (or reversed) request."""
    items = _items(removal_request)
    ground = _ground(removal_request)
    applied = (
        removal_request.completed_at or removal_request.decided_at or (removal_request.received_at)
    )
    statement = {
        # Hidden items stay in our database (a counter-notice may restore them) and answer
        # 451: access is disabled rather than the content deleted.
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_ground": None,
        "content_type": ["CONTENT_TYPE_TEXT"]
        + (["CONTENT_TYPE_IMAGE"] if any(item.image_url for item in items) else []),
        "category": DSA_CATEGORY[ground],
        "territorial_scope": EEA_COUNTRIES,
        "content_date": _content_date(removal_request, items),
        "application_date": f"{applied:%Y-%m-%d}",
        "decision_facts": _facts(removal_request, items),
        "source_type": _source_type(removal_request),
        # Content is identified by the notice, never by automated detection.
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_FULLY"
        if removal_request.approved_automatically
        else "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": puid(removal_request),
    }
    if ground in LEGAL_GROUND:
        statement["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
        statement["illegal_content_legal_ground"] = LEGAL_GROUND[ground][:500]
        statement["illegal_content_explanation"] = _explanation(removal_request, items)[:2000]
    else:
        statement["decision_ground"] = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
        statement["incompatible_content_ground"] = INCOMPATIBLE_GROUND[:500]
        statement["incompatible_content_explanation"] = _explanation(removal_request, items)[:2000]
        statement["incompatible_content_illegal"] = "No"
    if ground in DSA_KEYWORDS:
        statement["category_specification"] = DSA_KEYWORDS[ground]
    return statement


def reversal_puid(removal_request, number: int) -> str:
    return f"{puid(removal_request)}-r{number}"


def dsa_reversal_statement(
    removal_request, *, decision: dict, number: int, reversed_at, reason: str
) -> dict:
    """The statement of a reversal: the database has no update, so the restoration is a
    statement of its own (puid `<reference>-r<number>`), with the original decision's
    dates, the restriction's end, and facts saying the content is back and why."""
    statement = dict(decision)  # the original decision's dates, ground and category
    names = _personal_names(removal_request)
    if removal_request.is_about_a_person:
        names += [item.title for item in _items(removal_request)]
    why = redact((reason or "").strip(), names=names) or "no reason recorded"
    facts = (
        f"Reversal of the decision on removal request {puid(removal_request)} (statement "
        f"{puid(removal_request)}), taken on {statement['application_date']}: on "
        f"{reversed_at:%Y-%m-%d} the content was restored and the restriction ended. "
        f"Reason: {why}"
    )
    statement["decision_facts"] = facts[:FACTS_LIMIT]
    statement["end_date_visibility_restriction"] = f"{reversed_at:%Y-%m-%d}"
    statement["puid"] = reversal_puid(removal_request, number)
    return statement


def _entity(name: str, kind: str, **extra) -> dict:
    return {"name": name, "kind": kind, **extra}


def item_reference_url(item) -> str:
    """courtesy's opaque address of an item (no title, no slug): what the public records of
    a request about a person name instead of the article's URLs (served by compliance.web:
    the item for staff, 451 once hidden)."""
    return f"{settings.SITE_URL}{ITEM_REFERENCE_PATH.format(pk=item.pk)}"


def _lumen_works(removal_request) -> list[dict]:
    private = removal_request.is_about_a_person
    works = []
    for target in _targets(removal_request):
        item = target.item if target.item_id else None
        if item is None:
            if private:
                continue  # the URL as named may carry the title; it names no item of ours
            works.append(
                {
                    "description": "A page named in the notice that we could not match "
                    "to a republished article",
                    "kind": "Unspecified",
                    "copyrighted_urls_attributes": [],
                    "infringing_urls_attributes": [{"url": target.url}],
                }
            )
        elif private:
            works.append(
                {
                    "description": f"An article published by {item.origin.name}",
                    "kind": "Article",
                    "copyrighted_urls_attributes": [],
                    "infringing_urls_attributes": [{"url": item_reference_url(item)}],
                }
            )
        else:
            by = f" by {item.author}" if item.author else ""
            works.append(
                {
                    "description": f"“{item.title}”{by}, published by {item.origin.name}",
                    "kind": "Article",
                    "copyrighted_urls_attributes": [{"url": item.original_url}],
                    "infringing_urls_attributes": [{"url": item.public_url}],
                }
            )
    return works


def _lumen_parties(removal_request) -> list[dict]:
    recipient = _entity(settings.SITE_NAME, "organization", url=settings.SITE_URL)
    if removal_request.is_about_a_person:
        # Nothing that names the person: the sender is a role.
        return [
            {"name": "sender", "entity_attributes": _entity("individual", "individual")},
            {"name": "recipient", "entity_attributes": recipient},
        ]
    origin = removal_request.origin
    sender_name = removal_request.requester_name or removal_request.signature or "[private]"
    sender_kind = (
        "organization"
        if removal_request.role == RemovalRequest.Role.AGENT and (removal_request.organisation)
        else "individual"
    )
    if removal_request.organisation or origin:
        principal = _entity(removal_request.organisation or origin.name, "organization")
    else:
        principal = _entity(sender_name, sender_kind)
    return [
        {"name": "sender", "entity_attributes": _entity(sender_name, sender_kind)},
        {"name": "principal", "entity_attributes": principal},
        {"name": "recipient", "entity_attributes": recipient},
    ]


@_in_english
def lumen_notice(removal_request) -> dict:
    """The notice as Lumen's submission API takes it. Lumen refuses a notice without
    works: `works_attributes` may be empty here, and such a notice is not sent."""
    action = {
        RemovalRequest.Status.COMPLETED: "Yes",
        RemovalRequest.Status.REVERSED: "Yes",
        RemovalRequest.Status.REJECTED: "No",
    }.get(removal_request.status, "Unspecified")
    # Only what staff reviewed and published: an automatic redaction may miss a name; and
    # nothing at all for a request about a person.
    body = "" if removal_request.is_about_a_person else removal_request.public_explanation
    return {
        "notice": {
            "type": LUMEN_TYPE[_ground(removal_request)],
            "title": f"{removal_request.get_ground_display() or 'Removal'} notice "
            f"{puid(removal_request)} to {settings.SITE_NAME}",
            "subject": f"Removal of republished articles ({removal_request.get_scope_display()})",
            "date_sent": removal_request.received_at.isoformat(),
            "date_received": removal_request.received_at.isoformat(),
            "source": LUMEN_SOURCE.get(removal_request.channel, "Other"),
            "action_taken": action,
            "body": body,
            "language": "en",
            "works_attributes": _lumen_works(removal_request),
            "entity_notice_roles_attributes": _lumen_parties(removal_request),
        }
    }
