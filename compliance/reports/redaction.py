"""A first draft of the public version of a requester's explanation: e-mail addresses,
telephone numbers and the requester's own name, signature and organisation replaced by
[private]. Staff read and correct the draft before publishing it; the original is kept."""

import re
from collections.abc import Iterable

PRIVATE = "[private]"
URL = re.compile(r"https?://\S+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Seven or more digits, possibly with +, spaces, dots, dashes, slashes or brackets between.
PHONE = re.compile(r"(?<![\w/])(?:\+|00)?\(?\d[\d\s().\-/]{5,}\d(?![\w/])")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or ISO_DATE.fullmatch(text.strip()):
        return text
    trailing = text[len(text.rstrip()) :]
    return PRIVATE + trailing


def _redact_plain(text: str, names: list[str]) -> str:
    text = EMAIL.sub(PRIVATE, text)
    text = PHONE.sub(_phone, text)
    for name in names:
        # Whole names in any case; single words of a name only when capitalised as a name.
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", PRIVATE, text, flags=re.IGNORECASE)
    for name in names:
        for word in re.findall(r"\w{3,}", name):
            if word[0].isupper():
                text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", PRIVATE, text)
    return text


def redact(text: str, *, names: Iterable[str] = ()) -> str:
    """`text` with personal data replaced by [private]; web addresses are kept (they
    name the content concerned, not the person)."""
    names = sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)
    parts, last = [], 0
    for match in URL.finditer(text or ""):
        parts.append(_redact_plain(text[last : match.start()], names))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_redact_plain((text or "")[last:], names))
    return "".join(parts)


def redact_request_explanation(removal_request) -> str:
    return redact(
        removal_request.explanation,
        names=[
            removal_request.requester_name,
            removal_request.signature,
            removal_request.organisation,
            removal_request.requester_email,
        ],
    )
