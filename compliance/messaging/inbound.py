"""Reading mail that arrives at the contact address: parsing, the texts and URLs it
carries, whether a program sent it, and keeping what cannot be read.

What a message means (a new removal request, a reply on a request's thread) is decided
above, by compliance.takedowns.mailgate; this module only reads and records.
"""

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError
from django.utils import timezone

from . import robots
from .links import KnownDomains, urls_in
from .models import Message

logger = logging.getLogger("compliance.messaging")

# Far above any genuine removal request; the mail server usually refuses less already.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
HEADER_MAX = 998
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# The longest address mail can reach (RFC 5321); a removal request keeps no longer one.
MAX_ADDRESS_LENGTH = 254


# --- keeping what cannot be read -----------------------------------------------------------


def inbox_keep(raw: bytes, reason: str) -> Path:
    """Write the input as it came into VAR_DIR/inbox/, under a new timestamped name."""
    inbox = Path(settings.VAR_DIR) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S.%fZ")
    path = inbox / f"{stamp}-{reason}-{uuid.uuid4().hex[:12]}.eml"
    with path.open("xb") as file:  # "x": never overwrite anything
        file.write(raw)
    return path


# --- reading a message ---------------------------------------------------------------------


def _has_raw_bytes(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _clean(text: str, limit: int | None = None) -> str:
    """Text fit for the database: raw 8-bit bytes (which the parser keeps as surrogates)
    read as UTF-8, or else as Windows-1252, as mail clients do with such headers; NUL
    removed; optionally cut to `limit`."""
    raw = text.encode("utf-8", "surrogateescape")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", "replace")
    text = text.replace("\x00", "")
    return text[:limit] if limit else text


def _header(message: EmailMessage, name: str) -> str:
    # Raw 8-bit bytes in a header: the email package would decode them as UTF-8 or lose
    # them; read the source ourselves so that _clean can fall back to Windows-1252.
    source = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    if _has_raw_bytes(source):
        return _clean(" ".join(source.split()), HEADER_MAX)
    try:
        value = message.get(name)
    except Exception:  # a header too broken to parse reads as absent
        return ""
    return _clean(str(value or "").strip(), HEADER_MAX)


def _addresses(message: EmailMessage, name: str) -> list:
    try:
        header = message.get(name)
        return list(header.addresses) if header is not None else []
    except Exception:
        return []


# An address in a header the parser could not read (`Name addr@host`, without brackets).
BARE_ADDRESS = re.compile(r"[^\s<>\"()\[\],;:@]+@[^\s<>\"()\[\],;:@]+\.[^\s<>\"()\[\],;:@]+")


def _usable(address: str) -> bool:
    # Longer than any address mail can reach (RFC 5321), and than the request can keep:
    # cutting it would store, and write to, someone else's address.
    if not address or len(address) > MAX_ADDRESS_LENGTH:
        return False
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def mailbox(message: EmailMessage, name: str) -> tuple[str, str] | None:
    """(address, display name) of the first mailbox in a header, or None. Read leniently,
    as mail clients do: `Robin Rights robin@rights.example`, without the angle brackets,
    is Robin's address, not the local part `"Robin Rights robin"`."""
    found = _addresses(message, name)
    if found and _usable(found[0].addr_spec):
        return found[0].addr_spec, found[0].display_name or ""
    source = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
    value = _clean(" ".join(str(source).split()), HEADER_MAX)
    match = BARE_ADDRESS.search(value)
    if match is None or not _usable(match.group(0)):
        return None
    name_part = (value[: match.start()] + value[match.end() :]).strip(" \t\"'<>()")
    return match.group(0), parseaddr(f"{name_part} <x@x>")[0] or name_part


HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


def _repaired(raw: bytes) -> bytes:
    """The message with the header lines dropped that are neither a header nor its
    continuation (a line without a colon before From:): the parser would take the first
    such line for the start of the body, and lose every header after it."""
    lines = raw.splitlines(keepends=True)
    kept = []
    for index, line in enumerate(lines):
        if not line.strip():
            return b"".join(kept + lines[index:])
        if HEADER_LINE.match(line) or (line[:1] in b" \t" and kept) or line.startswith(b"From "):
            kept.append(line)
    return b"".join(kept)


def parse(raw: bytes) -> EmailMessage | None:
    """The message, or None when the input is not a mail message we can answer: empty,
    garbage, or without a From: address we could write to."""
    if not raw or not raw.strip():
        return None
    parser = BytesParser(policy=policy.default)
    try:
        message = parser.parsebytes(raw)
        if mailbox(message, "From") is None:
            message = parser.parsebytes(_repaired(raw))
    except Exception:
        return None
    return message if mailbox(message, "From") is not None else None


# Added on the way by each server (and again when one retries through another): not part
# of what the sender wrote, so not of what makes two deliveries the same message.
TRACE_HEADERS = {
    b"received",
    b"return-path",
    b"delivered-to",
    b"x-original-to",
    b"x-envelope-to",
    b"x-envelope-from",
    b"envelope-to",
    b"x-spam-status",
    b"x-spam-score",
    b"x-spam-flag",
    b"x-spam-level",
    b"x-spam-checker-version",
    b"authentication-results",
    b"arc-authentication-results",
    b"received-spf",
    b"x-virus-scanned",
}


def content_digest(raw: bytes) -> str:
    """SHA-256 of what the sender wrote: the message without the trace headers servers add,
    line endings unified. Two deliveries of one mail share it; two mails under one
    Message-ID (a careless sender, a forged ID) do not."""
    lines = raw.replace(b"\r\n", b"\n").split(b"\n")
    digest = hashlib.sha256()
    in_headers, skipping = True, False
    for line in lines:
        if in_headers:
            if not line.strip():
                in_headers = False
            elif line[:1] in b" \t":
                if skipping:
                    continue
            else:
                skipping = line.split(b":", 1)[0].strip().lower() in TRACE_HEADERS
                if skipping:
                    continue
        digest.update(line + b"\n")
    return digest.hexdigest()


def _part_text(part) -> str:
    if part is None:
        return ""
    try:
        return _clean(part.get_content())
    except (LookupError, UnicodeError, ValueError, AttributeError):
        # An unknown or lying charset: take the bytes as UTF-8, replacing what is not.
        payload = part.get_payload(decode=True) or b""
        return _clean(payload.decode("utf-8", "replace"))


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies (transfer encodings and charsets decoded)."""
    try:
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except Exception:
        return "", ""
    return _part_text(text), _part_text(html)


def readable_parts(message: EmailMessage) -> tuple[str, str]:
    """All the text and all the HTML a message carries, to look for URLs in: its bodies,
    and also text attachments and the parts of a forwarded message (message/rfc822), the
    way agencies often pass on the notice they were sent."""
    texts, htmls = [], []
    try:
        for part in message.walk():
            content_type = part.get_content_type()
            if content_type == "text/plain":
                texts.append(_part_text(part))
            elif content_type == "text/html":
                htmls.append(_part_text(part))
    except Exception:  # a structure too broken to walk: the bodies are still read
        return bodies(message)
    return "\n".join(texts), "\n".join(htmls)


def _message_ids(*values: str) -> list[str]:
    ids = [found for value in values for found in MESSAGE_ID.findall(value)]
    return ids[-50:]  # the nearest ancestors are last in References


def _first_message_id(value: str) -> str:
    """The first well-formed <id> in a header, or "". Nothing else of Message-ID,
    In-Reply-To or References is kept apart from the raw message: these values go back out
    in the headers of our replies, where a line break decoded from an encoded word would
    make every mail on the request fail to send."""
    ids = MESSAGE_ID.findall(value)
    return ids[0] if ids else ""


def replied_ids(in_reply_to: str, references: str) -> list[str]:
    """The Message-IDs a message says it answers, nearest ancestor last."""
    return _message_ids(in_reply_to, references)


@dataclass
class IncomingMail:
    """A parsed message: what it says, who sent it, and the Message fields to store."""

    message: EmailMessage
    address: str  # whom to answer: the From: address, or Reply-To: when it names a person
    display_name: str
    sender: str  # the From: address
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    text: str
    html: str
    robot: robots.Robot  # which program sent it, if one did
    fields: dict  # for Message.objects.create

    @property
    def automatic(self) -> str:
        """Why a program sent it, or ""."""
        return self.robot.reason

    def urls(self, *, limit: int, max_length: int, known_domains: KnownDomains | None = None):
        text, html = readable_parts(self.message)
        return urls_in(
            text,
            html,
            limit=limit,
            max_length=max_length,
            known_domains=known_domains,
            extra_texts=[self.subject],
        )


def _answer_to(message: EmailMessage, sender: tuple[str, str]) -> tuple[str, str]:
    """Whom to answer: the one person Reply-To: names (a web form's mail comes From: its
    robot, Reply-To: the person who filled it in), else the sender."""
    replies = _addresses(message, "Reply-To")
    reply_to = mailbox(message, "Reply-To") if len(replies) <= 1 else None
    if reply_to is None:
        return sender
    local_part = reply_to[0].rpartition("@")[0]
    if robots.NOREPLY_SENDERS.match(local_part) or robots.BOUNCE_SENDERS.match(local_part):
        return sender
    if reply_to[0].lower() in _own_addresses():
        return sender
    return reply_to


def _own_addresses() -> set[str]:
    return {settings.CONTACT_EMAIL.lower(), settings.DEFAULT_FROM_EMAIL.lower()}


def mail_read(raw: bytes) -> IncomingMail | None:
    """The message as courtesy needs it, or None when it is not a mail message we can
    answer (see parse)."""
    message = parse(raw)
    if message is None:
        return None
    sender = mailbox(message, "From")
    address, display_name = (_clean(value) for value in _answer_to(message, sender))
    subject = _header(message, "Subject")
    message_id = _first_message_id(_header(message, "Message-ID"))
    in_reply_to = _first_message_id(_header(message, "In-Reply-To"))
    references = " ".join(_message_ids(_clean(str(message.get("References") or ""))))
    text, html = bodies(message)
    recipients = [
        _clean(a.addr_spec, 320)
        for name in ("To", "Cc")
        for a in _addresses(message, name)
        if a.addr_spec
    ]
    if sender[0].lower() in _own_addresses():
        robot = robots.Robot(robots.Kind.OWN, "sent from our own address", True)
    else:
        robot = robots.robot_signs(message, sender=sender[0], subject=subject, answer_to=address)
    return IncomingMail(
        message=message,
        address=address,
        display_name=display_name[:200],
        sender=_clean(sender[0]),
        subject=subject,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        html=html,
        robot=robot,
        fields={
            "direction": Message.Direction.IN,
            "state": Message.State.RECEIVED,
            "sender": _header(message, "From")[:320],
            "recipients": recipients,
            "subject": subject,
            "text_body": text,
            "html_body": html,
            "message_id": message_id,
            "in_reply_to": in_reply_to,
            "references": references,
            "raw": raw,
            "content_sha256": content_digest(raw),
        },
    )


def message_received_before(raw: bytes) -> Message | None:
    """The incoming message already stored with this content (the server delivered it
    again). The same Message-ID on different content is another message, and is kept."""
    return Message.objects.filter(
        direction=Message.Direction.IN, content_sha256=content_digest(raw)
    ).first()


def message_keep_unparseable(raw: bytes) -> tuple[Path, Message | None]:
    """Input that is not a mail message: the file first (it needs no database), then a row
    that shows it to staff in the admin (None if the database is down)."""
    path = inbox_keep(raw, "unparseable")
    try:
        kept = Message.objects.create(
            direction=Message.Direction.IN,
            kind="unparseable",
            state=Message.State.RECEIVED,
            subject=f"(not a mail message; kept as {path.name})",
            raw=raw,
            kept_as=str(path),
        )
    except DatabaseError:
        logger.exception("unparseable input kept as %s, but not recorded", path)
        kept = None
    return path, kept


def message_keep_too_large(path: Path, head: bytes, size: int) -> Message | None:
    """A message too large to read here, already kept whole as `path`: a row for staff with
    what its headers say (sender, subject, IDs), so it is seen and answered like any other;
    the file holds the message. None if the database is down."""
    try:
        headers = BytesParser(policy=policy.default).parsebytes(head, headersonly=True)
        sender = _header(headers, "From")
        subject = _header(headers, "Subject")
        message_id = _first_message_id(_header(headers, "Message-ID"))
    except Exception:  # the file is what matters; the row says what it can
        sender = subject = message_id = ""
    megabytes = size / 1024 / 1024
    try:
        return Message.objects.create(
            direction=Message.Direction.IN,
            kind="too_large",
            state=Message.State.RECEIVED,
            sender=sender[:320],
            subject=subject or f"(a message of {megabytes:.1f} MB)",
            message_id=message_id,
            text_body=(
                f"This message ({megabytes:.1f} MB) is larger than the {MAX_MESSAGE_BYTES} "
                f"bytes mailgate reads. It is kept whole as {path}: open it there, and "
                "open a request by hand if it is a notice."
            ),
            kept_as=str(path),
        )
    except DatabaseError:
        logger.exception("large message kept as %s, but not recorded", path)
        return None


def case_replied_to(message_ids: list[str]) -> str:
    """The case of the newest of our messages (in or out) among `message_ids`, or ""."""
    if not message_ids:
        return ""
    earlier = (
        Message.objects.filter(message_id__in=message_ids)
        .exclude(case="")
        .order_by("-created_at", "-id")
        .values_list("case", flat=True)
        .first()
    )
    return earlier or ""
