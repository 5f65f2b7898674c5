"""Reading mail that arrives at the contact address: parsing, the texts and URLs it
carries, whether a program sent it, and keeping what cannot be read.

What a message means (a new removal request, a reply on a request's thread) is decided
above, by compliance.takedowns.mailgate; this module only reads and records.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DatabaseError
from django.utils import timezone

from compliance.core.normalise import is_web_address, normalise_url

from .models import Message

logger = logging.getLogger("compliance.messaging")

# Far above any genuine removal request; the mail server usually refuses less already.
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
HEADER_MAX = 998
# A URL in running text; what follows is trimmed of the punctuation that ends a sentence.
URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'`{}|\\^\[\]]+", re.IGNORECASE)
TRAILING_PUNCTUATION = ".,;:!?*_'\"\u201d\u2019\u00bb)"  # with closing quotes
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


def parse(raw: bytes) -> EmailMessage | None:
    """The message, or None when the input is not a mail message we can answer: empty,
    garbage, or without a From: address we could write to."""
    if not raw or not raw.strip():
        return None
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        return None
    senders = _addresses(message, "From")
    if not senders:
        return None
    address = senders[0].addr_spec
    # Longer than any address mail can reach (RFC 5321), and than the request can keep:
    # cutting it would store, and write to, someone else's address.
    if len(address) > MAX_ADDRESS_LENGTH:
        return None
    try:
        validate_email(address)
    except ValidationError:
        return None
    return message


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


class _LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"a", "area"}:
            self.links.extend(value for name, value in attrs if name == "href" and value)

    def handle_data(self, data):
        self.text.append(data)


def _urls_in_text(text: str) -> list[str]:
    found = []
    for match in URL_IN_TEXT.finditer(text):
        url = match.group(0)
        while url and url[-1] in TRAILING_PUNCTUATION:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break  # a balanced parenthesis belongs to the URL (as in Wikipedia's)
            url = url[:-1]
        found.append(url)
    return found


def urls_in(text: str, html: str, *, limit: int, max_length: int) -> list[str]:
    """The http(s) URLs a message names: bare in its text, and as links or bare text in its
    HTML; each once (by normalised form), at most `limit`, none longer than `max_length`.
    Links to our own removal pages are left out: they are never content, and they carry
    secrets."""
    collector = _LinkCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # html.parser copes with nearly anything; never lose the text for it
        pass
    candidates = [
        *_urls_in_text(text),
        *(link.strip() for link in collector.links),
        *_urls_in_text(" ".join(collector.text)),
    ]
    own_pages = normalise_url(f"{settings.SITE_URL}/takedown/")
    urls, seen = [], set()
    for url in candidates:
        if len(url) > max_length or not is_web_address(url):
            continue
        key = normalise_url(url)
        if not key or key in seen or key.startswith(own_pages):
            continue
        seen.add(key)
        urls.append(url)
        if len(urls) == limit:
            break
    return urls


def automatic_reason(message: EmailMessage, sender: str) -> str:
    """Why the message was sent by a program rather than a person ("" if it was not)."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe"):
        if _header(message, name):
            return f"{name} header"
    if message.get_content_type() == "multipart/report" or _header(message, "Return-Path") == "<>":
        return "delivery report (bounce)"
    ours = {settings.CONTACT_EMAIL.lower(), settings.DEFAULT_FROM_EMAIL.lower()}
    if sender.lower() in ours:
        return "sent from our own address"
    return ""


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
    address: str  # the From: address
    display_name: str
    subject: str
    message_id: str
    in_reply_to: str
    references: str
    text: str
    html: str
    automatic: str  # why a program sent it, or ""
    fields: dict  # for Message.objects.create

    def urls(self, *, limit: int, max_length: int) -> list[str]:
        return urls_in(*readable_parts(self.message), limit=limit, max_length=max_length)


def mail_read(raw: bytes) -> IncomingMail | None:
    """The message as courtesy needs it, or None when it is not a mail message we can
    answer (see parse)."""
    message = parse(raw)
    if message is None:
        return None
    sender = _addresses(message, "From")[0]
    address = _clean(sender.addr_spec)
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
    return IncomingMail(
        message=message,
        address=address,
        display_name=_clean(sender.display_name or "", 200),
        subject=subject,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        html=html,
        automatic=automatic_reason(message, address),
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
        },
    )


def message_received_before(message_id: str) -> Message | None:
    """The incoming message already stored under this Message-ID (the server retried)."""
    if not message_id:
        return None
    return Message.objects.filter(direction=Message.Direction.IN, message_id=message_id).first()


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
        )
    except DatabaseError:
        logger.exception("unparseable input kept as %s, but not recorded", path)
        kept = None
    return path, kept


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
