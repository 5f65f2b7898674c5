"""What a WordPress post says about the article it republishes: the original URL (from the
importer's post meta, or from the content's link to one of our origins), the article's own
text, and the attribution block the importer or theme appended (the post's disclaimer).

Importers append their attribution last ("Source: <a href=original>…</a>" and a notice):
the post's last top-level block that links to an origin, or else its last top-level block
when there are several, is taken as that block; the rest is the article."""

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from compliance.core.normalise import domain_candidates, normalise_domain, plain_text

BLOCK_TAGS = frozenset({"p", "div", "footer", "aside", "blockquote", "section", "figure"})
VOID_TAGS = frozenset({"br", "img", "hr", "input", "meta", "link", "source", "wbr"})


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    links: tuple[str, ...]


class _TopLevelBlocks(HTMLParser):
    """Offsets of the top-level block elements of an HTML fragment and the links in each."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self._html = html
        self._lines = [0]
        for line in html.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))
        self.blocks: list[Block] = []
        self._depth = 0
        self._start = None
        self._links: list[str] = []
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            return
        if self._depth == 0 and tag in BLOCK_TAGS:
            self._start, self._links = self._offset(), []
        if self._start is not None:
            self._depth += 1
            if tag == "a":
                href = dict(attrs).get("href") or ""
                if href:
                    self._links.append(href)

    def handle_endtag(self, tag):
        if self._start is None or tag in VOID_TAGS:
            return
        self._depth -= 1
        if self._depth == 0:
            # The block ends after its end tag's ">".
            close = self._html.find(">", self._offset())
            end = close + 1 if close != -1 else len(self._html)
            self.blocks.append(Block(self._start, end, tuple(self._links)))
            self._start = None


@dataclass(frozen=True)
class PostArticle:
    original_url: str
    body: str  # the article's HTML, without the attribution block
    disclaimer: str  # the attribution block's text, as readers of the post see it


def _is_origin_link(href: str, origin_domains: set[str]) -> bool:
    try:
        host = normalise_domain(urlsplit(href).hostname or "")
    except ValueError:
        return False
    return bool(host) and any(d in origin_domains for d in domain_candidates(host))


def post_article(
    *,
    content: str,
    meta: dict,
    meta_keys: list[str],
    by_source_link: bool,
    origin_domains: set[str],
) -> PostArticle:
    """Read a post. `origin_domains`: the domains of our origins, normalised."""
    original = next((str(meta[key]).strip() for key in meta_keys if meta.get(key)), "")
    blocks = _TopLevelBlocks(content).blocks
    attribution = None
    for block in reversed(blocks):
        origin_links = [href for href in block.links if _is_origin_link(href, origin_domains)]
        if origin_links:
            attribution = block
            if not original and by_source_link:
                original = origin_links[-1]
            break
    if attribution is None and len(blocks) > 1:
        attribution = blocks[-1]
    if attribution is None:
        return PostArticle(original, content.strip(), "")
    body = (content[: attribution.start] + content[attribution.end :]).strip()
    disclaimer = plain_text(content[attribution.start : attribution.end])
    return PostArticle(original, body, disclaimer)
