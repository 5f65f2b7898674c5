"""Reading the licensing signals an origin publishes, from bytes already fetched.

Pure functions: a document in, a list of Signal out; no network, no models. A document
that does not parse gives no signals (and the caller still records that it was fetched).

What is read, and from where:
- robots.txt: `Content-Signal:` lines (Cloudflare's content signals) and RSL's `License:`
  directive, which names an RSL licence document;
- an HTML page: `<link rel="license">`, schema.org JSON-LD `license`, `copyrightNotice`,
  `creditText`, `copyrightHolder`, `<meta name="robots">`, TDMRep's `tdm-reservation` and
  `tdm-policy` meta tags, and an RSL licence linked (`<link type="application/rsl+xml">`)
  or embedded (`<script type="application/rsl+xml">`);
- HTTP headers: TDMRep's `tdm-reservation` and `tdm-policy`;
- /.well-known/tdmrep.json (W3C TDMRep);
- an RSL 1.0 document (standalone `<rsl>`) or the RSL module in an RSS feed (`rsl:`);
- a feed's channel: its rights statement and Creative Commons licence link.
"""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urljoin

import feedparser

RSL_NS = "https://rslstandard.org/rsl"
RSL_TYPE = "application/rsl+xml"
JSONLD_FIELDS = {
    "license": "jsonld_license",
    "copyrightNotice": "jsonld_copyright_notice",
    "creditText": "jsonld_credit_text",
    "copyrightHolder": "jsonld_copyright_holder",
}


class Signal(NamedTuple):
    """One licensing signal: its kind (LicenceSnapshot.Kind), the raw value as published
    (text, or canonical JSON for a structured one)."""

    kind: str
    value: str


def _text(value) -> str:
    """A JSON-LD value as one string: text as is, anything else as canonical JSON."""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# --- robots.txt ----------------------------------------------------------------------------


def read_robots(text: str, *, base_url: str) -> list[Signal]:
    """`Content-Signal:` lines (with the user agents of their group) and `License:`
    directives (an RSL licence's URL, resolved against the robots.txt URL)."""
    found, agents, in_rules = [], [], False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        name, sep, value = line.partition(":")
        if not sep:
            continue
        name, value = name.strip().lower(), value.strip()
        if name == "user-agent":
            if in_rules:
                agents, in_rules = [], False
            agents.append(value)
        elif name == "content-signal":
            in_rules = True
            group = ", ".join(agents) or "*"
            found.append(Signal("content_signal", f"user-agent {group}: {value}"))
        elif name == "license":
            found.append(Signal("rsl_license_link", urljoin(base_url, value)))
        else:
            in_rules = in_rules or name in {"allow", "disallow", "crawl-delay"}
    return found


def content_signals(value: str) -> dict[str, str]:
    """{"search": "yes", "ai-train": "no", …} from one recorded Content-Signal value."""
    _, _, pairs = value.rpartition(": ")
    result = {}
    for pair in pairs.split(","):
        name, sep, answer = pair.partition("=")
        if sep:
            result[name.strip().lower()] = answer.strip().lower()
    return result


# --- HTML pages ----------------------------------------------------------------------------


class _PageParser(HTMLParser):
    def __init__(self, base_url: str):
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.signals: list[Signal] = []
        self._script: str | None = None  # "jsonld" or "rsl" while inside such a script
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        if tag == "link":
            rels = attributes.get("rel", "").lower().split()
            href = attributes.get("href", "").strip()
            if not href:
                return
            if attributes.get("type", "").lower() == RSL_TYPE:
                self.signals.append(Signal("rsl_license_link", urljoin(self.base_url, href)))
            elif "license" in rels:
                self.signals.append(Signal("rel_license", urljoin(self.base_url, href)))
        elif tag == "a" and "license" in attributes.get("rel", "").lower().split():
            href = attributes.get("href", "").strip()
            if href:
                self.signals.append(Signal("rel_license", urljoin(self.base_url, href)))
        elif tag == "meta":
            name = attributes.get("name", "").strip().lower()
            content = attributes.get("content", "").strip()
            if name == "robots":
                self.signals.append(Signal("meta_robots", content))
            elif name in {"tdm-reservation", "tdm-policy"}:
                self.signals.append(Signal(name.replace("-", "_"), content))
        elif tag == "script":
            kind = attributes.get("type", "").strip().lower()
            if kind == "application/ld+json":
                self._script, self._buffer = "jsonld", []
            elif kind == RSL_TYPE:
                self._script, self._buffer = "rsl", []

    def handle_data(self, data):
        if self._script:
            self._buffer.append(data)

    def handle_endtag(self, tag):
        if tag != "script" or not self._script:
            return
        text = "".join(self._buffer)
        if self._script == "jsonld":
            self.signals.extend(read_jsonld(text))
        else:
            self.signals.extend(read_rsl(text.encode()))
        self._script = None


def _jsonld_nodes(data):
    """Every object in a JSON-LD document (lists and @graph unfolded)."""
    if isinstance(data, list):
        for entry in data:
            yield from _jsonld_nodes(entry)
    elif isinstance(data, dict):
        yield data
        yield from _jsonld_nodes(data.get("@graph", []))


def read_jsonld(text: str) -> list[Signal]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found = []
    for node in _jsonld_nodes(data):
        for field, kind in JSONLD_FIELDS.items():
            if node.get(field) not in (None, "", [], {}):
                found.append(Signal(kind, _text(node[field])))
    return found


def read_page(html: str, *, base_url: str) -> list[Signal]:
    parser = _PageParser(base_url)
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        pass
    return parser.signals


def read_tdm_headers(headers: dict[str, str]) -> list[Signal]:
    return [
        Signal(name.replace("-", "_"), headers[name].strip())
        for name in ("tdm-reservation", "tdm-policy")
        if headers.get(name, "").strip()
    ]


# --- TDMRep --------------------------------------------------------------------------------


def read_tdmrep(body: bytes) -> list[Signal]:
    """Each rule of /.well-known/tdmrep.json, as canonical JSON."""
    try:
        rules = json.loads(body)
    except ValueError:
        return []
    if not isinstance(rules, list):
        return []
    return [Signal("tdmrep_rule", _text(rule)) for rule in rules if isinstance(rule, dict)]


def tdm_reserved(value: str) -> bool:
    """Whether a recorded TDM signal reserves rights: `1` in a header or meta, or a
    tdmrep.json rule with "tdm-reservation": 1."""
    if value.strip() == "1":
        return True
    try:
        rule = json.loads(value)
    except ValueError:
        return False
    return isinstance(rule, dict) and str(rule.get("tdm-reservation")) == "1"


# --- RSL -----------------------------------------------------------------------------------


def _rsl_licences(root: ET.Element) -> list[Signal]:
    found = []
    for content in root.iter(f"{{{RSL_NS}}}content"):
        for licence in content.iter(f"{{{RSL_NS}}}license"):
            terms = {"url": content.get("url", "")}
            for part in ("permits", "prohibits"):
                for element in licence.findall(f"{{{RSL_NS}}}{part}"):
                    key = f"{part}:{element.get('type', 'usage')}"
                    values = [v.strip() for v in (element.text or "").split(",") if v.strip()]
                    terms[key] = sorted({*terms.get(key, []), *values})
            payment = licence.find(f"{{{RSL_NS}}}payment")
            terms["payment"] = (payment.get("type") if payment is not None else None) or "free"
            found.append(Signal("rsl_license", json.dumps(terms, sort_keys=True)))
    return found


def read_rsl(body: bytes) -> list[Signal]:
    """The licences of an RSL document, or of the RSL module in a feed. The standard
    library's parser resolves no external entities and (with expat ≥ 2.4.1) refuses entity
    expansion bombs; the body's size is bounded by the fetch."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    return _rsl_licences(root)


# --- Feeds ---------------------------------------------------------------------------------


def read_feed_channel(body: bytes) -> list[Signal]:
    """The channel's rights statement and Creative Commons link, and any RSL module."""
    parsed = feedparser.parse(body)
    channel = parsed.get("feed", {})
    found = []
    if channel.get("rights"):
        found.append(Signal("feed_rights", channel["rights"].strip()))
    if channel.get("license"):
        found.append(Signal("feed_licence_link", channel["license"].strip()))
    return found + read_rsl(body) if b"rslstandard.org/rsl" in body else found
