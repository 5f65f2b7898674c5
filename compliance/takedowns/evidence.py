"""Evidence attached to a notice: what may be attached, and storing it with its request.

The type is read from the content (puremagic's signatures for PDF, PNG and JPEG; plain text
is what has no signature and decodes as UTF-8 without control characters), never from the
file's name or the type the browser claims.
"""

import hashlib

import puremagic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from .models import Evidence, RemovalRequest

ACCEPTED = {"application/pdf", "image/png", "image/jpeg"}
TEXT = "text/plain"
SNIFF_BYTES = 8192


def _is_plain_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def sniff_type(head: bytes) -> str | None:
    """The accepted type of a file starting with `head`, or None."""
    if not head:
        return None
    try:
        found = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        found = ""
    if found in ACCEPTED:
        return found
    if found:
        return None  # something puremagic knows, and not one of ours
    return TEXT if _is_plain_text(head) else None


def evidence_check(files) -> list[tuple]:
    """(file, content type) for each upload, or ValidationError listing every problem."""
    errors, checked, total = [], [], 0
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            gettext("At most %(count)s files.") % {"count": settings.EVIDENCE_MAX_FILES}
        )
    for upload in files:
        total += upload.size
        if upload.size > settings.EVIDENCE_MAX_FILE_BYTES:
            errors.append(
                gettext("“%(name)s” is larger than %(limit)s.")
                % {"name": upload.name, "limit": filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)}
            )
            continue
        upload.seek(0)
        kind = sniff_type(upload.read(SNIFF_BYTES))
        upload.seek(0)
        if kind is None:
            errors.append(
                gettext("“%(name)s” is not a PDF, PNG, JPEG or plain-text file.")
                % {"name": upload.name}
            )
            continue
        checked.append((upload, kind))
    if total > settings.EVIDENCE_MAX_TOTAL_BYTES:
        errors.append(
            gettext("The files come to more than %(limit)s together.")
            % {"limit": filesizeformat(settings.EVIDENCE_MAX_TOTAL_BYTES)}
        )
    if errors:
        raise ValidationError(errors)
    return checked


def evidence_store(*, removal_request: RemovalRequest, files: list[tuple]) -> list[Evidence]:
    """Store checked uploads with their request, in the caller's transaction."""
    stored = []
    for upload, kind in files:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        evidence = Evidence(
            request=removal_request,
            filename=upload.name[:200],
            content_type=kind,
            size=upload.size,
            sha256=digest.hexdigest(),
        )
        # The stored name is ours: the requester's name is kept only as a label.
        evidence.file.save(f"{removal_request.pk}-{digest.hexdigest()[:16]}", upload, save=False)
        evidence.save()
        stored.append(evidence)
    return stored
