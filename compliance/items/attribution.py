"""What readers are shown with every item, frozen when it is first published: the licence
note and the disclaimer, each with the SHA-256 of its exact text."""

from functools import lru_cache
from urllib.parse import quote

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError

from compliance.core.normalise import sha256_text

from .models import DEFAULT_DISCLAIMER_TEMPLATE, Item

NO_LICENCE_NOTE = (
    "Licence: none recorded. This item is republished from the origin's public feed; no "
    "licence basis has been recorded for it."
)


class _NoLicence:
    """Stands in for a missing licence basis in the disclaimer template."""

    name = ""
    kind = ""
    licence_url = ""
    usage_statement = "without a recorded licence basis"

    def __str__(self):
        return "no recorded licence basis"


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    # Compiled once per template text, not once per item (a feed's thousands of entries
    # share their origin's); a broken template raises each time, as it is not cached.
    return Template(source)


def _render_disclaimer(item: Item) -> str:
    """Plain text: the template's output is shown as text, never parsed as HTML."""
    origin = item.origin
    source = origin.disclaimer_template.strip() or DEFAULT_DISCLAIMER_TEMPLATE
    context = Context(
        {
            "origin": origin,
            "item": item,
            "licence": item.licence_basis or _NoLicence(),
            "contact_email": settings.CONTACT_EMAIL,
            "removal_form_url": f"{settings.SITE_URL}/takedown/?url="
            + quote(item.original_url, safe=""),
        },
        autoescape=False,
    )
    try:
        return _compiled(source).render(context).strip()
    except TemplateSyntaxError:
        raise
    except Exception as exc:
        # A template that compiles can still fail as it renders ({% include %} of a file
        # that is not there): treated like a broken template, never a crashed entry.
        raise TemplateSyntaxError(f"{type(exc).__name__}: {exc}") from exc


def item_freeze_attribution(*, item: Item) -> None:
    """Render the licence note and the disclaimer for an item about to be shown and freeze
    them on it, each with the SHA-256 of its exact text. Does not save.

    Texts are frozen once: an item that already carries them (hidden, then restored) keeps
    what readers saw before. Anything that publishes an item calls this first; raises
    TemplateSyntaxError when the origin's disclaimer template is broken."""
    if item.disclaimer:
        return
    basis = item.licence_basis
    item.licence_note = basis.licence_note() if basis else NO_LICENCE_NOTE
    item.disclaimer = _render_disclaimer(item)
    item.licence_note_sha256 = sha256_text(item.licence_note)
    item.disclaimer_sha256 = sha256_text(item.disclaimer)
