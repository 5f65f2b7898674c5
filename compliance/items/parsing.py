"""From a feed's bytes to normalised entries: no database, no network.

feedparser reads RSS 2.0, RSS 1.0 and Atom. Around it we decide two things it leaves to its
caller: which encoding to trust (the one the document declares; a document whose bytes do
not match its own declaration is rejected rather than guessed at, because a guess would be
frozen into what readers see), and which of its `bozo` complaints make a feed unusable.
Bodies are sanitised with nh3 here, once, so everything downstream holds safe HTML.
"""

import codecs
import hashlib
import html
import io
import re
import xml.sax
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
import feedparser.namespaces.mediarss
import nh3

from compliance.core.normalise import plain_text

# Article markup that survives sanitising; everything else is unwrapped (text kept), and
# the elements below are dropped together with their content.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "a", "em", "strong", "b", "i", "u", "s", "small", "sub", "sup", "abbr",
    "cite", "q", "code", "pre", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "figure",
    "figcaption", "img",
})  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "ol": {"start"},
}
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "applet", "form", "noscript", "template",
    "svg", "math", "textarea", "select", "button", "frame", "frameset", "noframes", "audio",
    "video", "canvas", "head", "title",
})  # fmt: skip
LINK_REL = "nofollow noopener"
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
TITLE_FALLBACK_CHARS = 80

_XML_DECLARATION = re.compile(r"^<\?xml[^>]*?\?>")
_XML_ENCODING = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_EMAIL_AND_NAME = re.compile(r"^\S+@\S+\s*\((?P<name>[^()]+)\)$")
_NAME_AND_EMAIL = re.compile(r"^(?P<name>[^<>]+?)\s*<\S+@\S+>$")
# What feedparser makes of Atom's <name> with <email> (every Blogger feed): "Name (email)".
_NAME_AND_EMAIL_IN_PARENS = re.compile(r"^(?P<name>[^()]+?)\s*\(\S+@\S+\)$")
# Characters XML 1.0 forbids. Character references in a feed's HTML can carry them; stored,
# they would break every XML document that shows the item (/feed/, for a start).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)
_FIGCAPTION = re.compile(r"<figcaption[^>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)


class FeedParseError(Exception):
    """The document is not a feed we can use; the message says why, for the Feed's record."""


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    link: str  # absolute http(s) URL of the original article, or "" when it has none
    title: str  # plain text
    author: str
    body: str  # sanitised HTML
    image_url: str
    photo_credit: str
    published_at: datetime | None
    rights_statement: str  # the entry's own, else the feed's
    rights_licence_url: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site_url: str  # the feed's own link to its site: the origin's home page
    rights_statement: str
    rights_licence_url: str
    entries: list[ParsedEntry]
    warnings: list[str] = field(default_factory=list)


# --- HTML ----------------------------------------------------------------------------------


# --- Media RSS captions ----------------------------------------------------------------------
# feedparser reads <media:description> (a photo's caption) as the entry's description, so
# the caption becomes the summary or the content, whichever slot is free, and the longest of
# them is taken for the article. Kept apart instead, as "media_description", it is never the
# body. (feedparser's parser classes mix this Namespace in: the methods replace its own.)


def _start_media_description(self, attrs_d):
    self.push("media_description", 1)


def _end_media_description(self):
    value = self.pop("media_description")
    if value and value.strip():
        self._get_context().setdefault("media_description", []).append(value)


feedparser.namespaces.mediarss.Namespace._start_media_description = _start_media_description
feedparser.namespaces.mediarss.Namespace._end_media_description = _end_media_description


# --- Markup nesting ---------------------------------------------------------------------------
# html5ever (under nh3) takes time that grows with the square of the nesting depth: 100,000
# nested <div>s, 1 MB, took minutes. No article nests anywhere near this deep; an entry that
# does is refused as a bad entry before any parser sees it. Elements whose end tag may be
# left out (<p>, <li>…) and void ones do not count: unclosed, they do not nest.
MAX_NESTING = 500
_TAG = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_NOT_NESTING = {
    b"area",
    b"base",
    b"br",
    b"col",
    b"embed",
    b"hr",
    b"img",
    b"input",
    b"link",
    b"meta",
    b"source",
    b"track",
    b"wbr",
    b"p",
    b"li",
    b"dt",
    b"dd",
    b"tr",
    b"td",
    b"th",
    b"option",
    b"optgroup",
    b"thead",
    b"tbody",
    b"tfoot",
    b"rt",
    b"rp",
    b"colgroup",
    b"caption",
}


class MarkupTooDeep(ValueError):
    pass


def check_nesting(fragment: str, limit: int = MAX_NESTING) -> None:
    """Raise MarkupTooDeep when the markup opens more than `limit` elements inside one
    another (a linear scan, whatever the size)."""
    depth = 0
    for closing, name, self_closing in _TAG.findall(fragment.encode("utf-8", "replace")):
        if name.lower() in _NOT_NESTING or self_closing:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > limit:
            raise MarkupTooDeep(f"markup nested more than {limit} elements deep")


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def absolute_url(value: str, base: str) -> str:
    """`value` resolved against `base`; "" unless the result is an http(s) URL."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        url = urljoin(base, value) if base else value
    except ValueError:
        return ""
    return url if _is_web_url(url) else ""


def sanitise_html(fragment: str, *, base_url: str = "") -> str:
    """Keep ordinary article markup only. URLs are made absolute against base_url; links
    must be http(s) or mailto and get rel="nofollow noopener"; images must be https."""

    def keep_attribute(tag: str, attribute: str, value: str) -> str | None:
        if attribute not in URL_ATTRIBUTES:
            return value
        if value.strip().lower().startswith("mailto:") and tag == "a":
            return value.strip()
        url = absolute_url(value, base_url)
        if tag == "img" and not url.startswith("https://"):
            return None  # mixed content and tracking pixels over plain http stay out
        return url or None

    cleaned = nh3.clean(
        fragment or "",
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep_attribute,
        link_rel=LINK_REL,
        url_schemes={"http", "https", "mailto"},
        url_relative="pass_through",  # keep_attribute resolves or drops them
        strip_comments=True,
    )
    # An image whose source was refused is an empty box: drop it.
    return _XML_FORBIDDEN.sub("", _IMG_WITHOUT_SRC.sub("", cleaned)).strip()


def _text(fragment: str) -> str:
    """Plain text of a title or caption that may carry markup or entities."""
    cleaned = nh3.clean(fragment or "", tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))
    return _XML_FORBIDDEN.sub("", plain_text(cleaned))


# --- Encoding ------------------------------------------------------------------------------


def _declared_encoding(content: bytes, http_charset: str) -> tuple[str, str, bytes]:
    """(encoding, where it was declared, content without BOM): the byte-order mark, else
    the XML declaration, else the HTTP charset, else UTF-8 (XML's default)."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return encoding, "its byte-order mark", content[len(bom) :]
    match = _XML_ENCODING.match(content.lstrip())
    if match:
        return match.group(1).decode("ascii"), "its XML declaration", content
    if http_charset:
        return http_charset, "the HTTP Content-Type header", content
    return "utf-8", "no declaration (XML's default)", content


def decode_feed(content: bytes, *, http_charset: str = "") -> str:
    """The document as text, decoded strictly with the encoding it declares."""
    encoding, source, content = _declared_encoding(content, http_charset)
    try:
        codec = codecs.lookup(encoding)
        # Python also names transforms such as rot13 or base64 "codecs": no text comes of them.
        if not getattr(codec, "_is_text_encoding", True):
            raise LookupError(encoding)
    except LookupError:
        raise FeedParseError(f"unknown character encoding {encoding!r} ({source})") from None
    try:
        return content.decode(codec.name)
    except UnicodeDecodeError as exc:
        raise FeedParseError(
            f"wrong character encoding: the feed is declared as {encoding} by {source}, but "
            f"byte {exc.object[exc.start]:#04x} at offset {exc.start} is not valid {encoding}"
        ) from None
    except UnicodeError as exc:  # codecs such as punycode fail without naming a byte
        raise FeedParseError(
            f"wrong character encoding: the feed is declared as {encoding} by {source}, but "
            f"it does not decode as {encoding} ({exc})"
        ) from None


# --- Feeds ---------------------------------------------------------------------------------


def _reject_or_warn(result, warnings: list[str]) -> None:
    """feedparser sets `bozo` for many harmless things. A document that is not well-formed
    XML is refused (a truncated feed still yields entries from the lenient parser, with
    bodies cut short), except for HTML entities undeclared in XML such as &nbsp;, which are
    common and harmless. Anything else is kept as a warning."""
    if not result.get("bozo"):
        return
    problem = result.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        message = problem.getMessage()
        if "undefined entity" not in message:
            line = problem.getLineNumber()
            raise FeedParseError(f"not well-formed XML (line {line}): {message}")
    else:
        message = str(problem) or type(problem).__name__
    warnings.append(f"feed parser: {message}")


def _published(entry) -> datetime | None:
    moment = entry.get("published_parsed") or entry.get("updated_parsed")
    if not moment:
        return None
    try:
        return datetime(*moment[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _author(entry) -> str:
    """The author's name, never their address. RSS's <author> is "email (Name)"; feedparser
    splits that with a pattern that mangles long top-level domains, so such strings are read
    here, as is the "Name (email)" it makes of Atom's <name> and <email>. A bare address is
    not a name and is not published."""
    raw = _text(entry.get("author", ""))
    names = [_text(a["name"]) for a in entry.get("authors") or [] if a.get("name")]
    names = [name for name in names if name and "@" not in name]
    if "@" in raw:
        patterns = (_EMAIL_AND_NAME, _NAME_AND_EMAIL, _NAME_AND_EMAIL_IN_PARENS)
        match = next((m for m in (p.match(raw) for p in patterns) if m), None)
        if match is None:
            return ", ".join(dict.fromkeys(names))
        if len(names) > 1:  # Atom's several <author>s: feedparser's string names the first
            return ", ".join(dict.fromkeys(names))
        name = match.group("name").strip()
        return name if "@" not in name else ""
    return ", ".join(dict.fromkeys(names)) or raw


def _licence_link(links) -> str:
    for link in links or []:
        if link.get("rel") == "license" and _is_web_url(link.get("href", "")):
            return link["href"]
    return ""


def _body(entry) -> tuple[str, str]:
    """The fullest body the entry offers (content:encoded or Atom content, else the summary),
    as HTML, and the xml:base in force where it was written ("" if none)."""
    candidates = [c for c in entry.get("content") or [] if c.get("value")]
    if entry.get("summary"):
        candidates.append(entry.get("summary_detail") or {"value": entry["summary"]})
    if not candidates:
        return "", ""
    best = max(candidates, key=lambda c: len(c.get("value", "")))
    value = best.get("value", "")
    if best.get("type") == "text/plain":
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", value) if p.strip()]
        return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs), ""
    return value, best.get("base") or ""


def _image(entry, base: str) -> str:
    for media in entry.get("media_content") or []:
        kind = media.get("medium") or media.get("type", "").split("/")[0]
        if kind == "image":
            url = absolute_url(media.get("url", ""), base)
            if url:
                return url
    for thumbnail in entry.get("media_thumbnail") or []:
        url = absolute_url(thumbnail.get("url", ""), base)
        if url:
            return url
    for enclosure in entry.get("enclosures") or []:
        if enclosure.get("type", "").startswith("image/"):
            url = absolute_url(enclosure.get("href", ""), base)
            if url:
                return url
    return ""


def _photo_credit(entry, body: str) -> str:
    """media:credit, else the caption of the body's first figure."""
    for credit in entry.get("media_credit") or []:
        text = _text(credit.get("content", ""))
        if text:
            return text
    caption = _FIGCAPTION.search(body)
    return _text(caption.group(1)) if caption else ""


def _guid(entry, link: str, title: str, published: datetime | None) -> str:
    guid = (entry.get("id") or "").strip()
    if guid:
        return guid
    if link:
        return link
    # Neither: a stable stand-in, the same every time the feed repeats the entry.
    seed = f"{title}\n{published.isoformat() if published else ''}"
    return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()


def parse_feed(content: bytes, *, base_url: str = "", http_charset: str = "") -> ParsedFeed:
    """Parse a feed document. `base_url` is where it came from (relative links resolve
    against it when it is an http(s) URL, else against the feed's own site link).
    Raises FeedParseError when the document is not a usable feed."""
    if not content or not content.strip():
        raise FeedParseError("the response was empty")
    text = decode_feed(content, http_charset=http_charset).lstrip("\ufeff").lstrip()
    # Hand feedparser UTF-8 that says so: it must not second-guess the decision above.
    text = _XML_DECLARATION.sub("", text, count=1)
    data = ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8")
    # No content-location: feedparser would resolve guids that look relative against where
    # the feed was fetched from, so a moved feed would change every guid. Only the
    # document's own xml:base applies there; links are resolved below and in sanitise_html.
    headers = {"content-type": "application/xml; charset=utf-8"}
    # A stream, never bytes: given bytes, feedparser may treat them as a file name to open.
    result = feedparser.parse(
        io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    warnings: list[str] = []
    _reject_or_warn(result, warnings)
    if not result.get("version"):
        raise FeedParseError("not an RSS or Atom feed")

    channel = result.get("feed", {})
    site_url = absolute_url(channel.get("link", ""), base_url if _is_web_url(base_url) else "")
    base = base_url if _is_web_url(base_url) else site_url
    feed_rights = _text(channel.get("rights", ""))
    feed_licence = _licence_link(channel.get("links"))

    entries, seen = [], set()
    for raw in result.get("entries", []):
        link = absolute_url(raw.get("link", ""), base)
        body, body_base = _body(raw)
        try:
            for value in (body, raw.get("title", ""), raw.get("author", "")):
                check_nesting(value)
        except MarkupTooDeep as exc:
            warnings.append(f"entry {link or raw.get('id', '')!r}: {exc}: skipped as a bad entry")
            continue
        # Relative URLs in the body resolve against the xml:base in force there, else the
        # article's own link (feedparser's resolver is not used: it is slow on deep markup).
        body_base = absolute_url(body_base, link or base) if body_base else ""
        body = sanitise_html(body, base_url=body_base or link or base)
        published = _published(raw)
        title = _text(raw.get("title", "")) or plain_text(body)[:TITLE_FALLBACK_CHARS]
        guid = _guid(raw, link, title, published)
        if guid in seen:
            warnings.append(f"duplicate guid {guid!r}: only its first entry is used")
            continue
        seen.add(guid)
        entries.append(
            ParsedEntry(
                guid=guid,
                link=link,
                title=title,
                author=_author(raw),
                body=body,
                image_url=_image(raw, link or base),
                photo_credit=_photo_credit(raw, body),
                published_at=published,
                rights_statement=_text(raw.get("rights", "")) or feed_rights,
                rights_licence_url=_licence_link(raw.get("links")) or feed_licence,
            )
        )
    return ParsedFeed(
        title=_text(channel.get("title", "")),
        site_url=site_url,
        rights_statement=feed_rights,
        rights_licence_url=feed_licence,
        entries=entries,
        warnings=warnings,
    )
