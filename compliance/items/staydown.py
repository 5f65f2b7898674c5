"""Stay-down: is a candidate article kept out, and by which rule? The one answer.

A candidate is an article as a feed (or a caller of the check API) presents it: the origin
whose feed carries it, its original URL, guid, author, text, and the host of its original
URL. `MATCHES` says, once, what each kind of active block rule covers; two forms are
generated from it and must agree (tests/test_staydown_matrix.py proves they do, case by
case, on SQLite and PostgreSQL):

- the Python form, `blocks_for(candidates)`: for ingest (new and edited entries) and undoing
  a takedown. One indexed query per batch of candidates, whatever the number of rules
  (bench/staydown.py measures it).
- the SQL form, `published_matches(case=…)`: every published item an active rule covers,
  set-based, for the report's invariant, the periodic re-check and the takedown job.

What a rule covers:
- url     a URL rule: the same normalised original URL, on any site;
- guid    a URL rule: the article's feed guid, at the rule's domain or a subdomain;
- text    a URL rule: the same text fingerprint, at the rule's domain or a subdomain (the
          origin publishing the article again under a new URL; the same text at another
          site is that site's own matter);
- author  an author rule: the same author, at exactly the rule's domain;
- origin  an origin rule (an origin block): everything at the domain or a subdomain.
"At a domain" is true of a candidate whose origin's domain, or whose original's own host,
is that domain (for "or a subdomain": one of its domain_candidates). The most specific
match wins (this order), then the oldest rule (the lowest id).
"""

from dataclasses import dataclass
from itertools import chain
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Concat, Length, Right

from compliance.core.normalise import (
    author_key,
    domain_candidates,
    normalise_domain,
    sha256_text,
    text_fingerprint,
    url_key,
)

from .models import BlockRule, Item, Origin

ANYWHERE, AT, WITHIN = "anywhere", "at", "within"
GUID_LIMIT = Item._meta.get_field("guid").max_length


@dataclass(frozen=True)
class Match:
    name: str
    rule_kind: str
    key: str | None  # compared for equality: the same name on BlockRule, Candidate and Item
    where: str  # ANYWHERE, AT (the rule's domain) or WITHIN (it or a subdomain)


MATCHES = (
    Match("url", BlockRule.Kind.URL, "url_key", ANYWHERE),
    Match("guid", BlockRule.Kind.URL, "guid", WITHIN),
    Match("text", BlockRule.Kind.URL, "text_fingerprint", WITHIN),
    Match("author", BlockRule.Kind.AUTHOR, "author_key", AT),
    Match("origin", BlockRule.Kind.ORIGIN, None, WITHIN),
)
MATCH_ORDER = [match.name for match in MATCHES]


def stored_guid(guid: str) -> str:
    """A feed's guid as items (and rules) store it: as given, or hashed when too long."""
    guid = guid or ""
    return guid if len(guid) <= GUID_LIMIT else "sha256:" + sha256_text(guid)


def article_host_of(original_url: str, origin_domain: str) -> str:
    """The original's own host when it is not the origin's domain, else ""."""
    try:
        host = normalise_domain(urlsplit(original_url or "").hostname or "")
    except ValueError:
        return ""
    return host if host and host != normalise_domain(origin_domain) else ""


@dataclass(frozen=True)
class Candidate:
    origin_domain: str
    url_key: str
    guid: str = ""
    author_key: str = ""
    text_fingerprint: str = ""
    article_host: str = ""

    def __post_init__(self):
        # Domains are compared in their normal form, however the caller spelt them.
        object.__setattr__(self, "origin_domain", normalise_domain(self.origin_domain))
        object.__setattr__(self, "article_host", normalise_domain(self.article_host))

    @classmethod
    def of(
        cls,
        *,
        origin_domain: str,
        original_url: str,
        guid: str = "",
        author: str = "",
        body: str = "",
    ) -> "Candidate":
        """From an article as given (an entry, a check): the keys are computed here."""
        origin_domain = normalise_domain(origin_domain)
        return cls(
            origin_domain=origin_domain,
            url_key=url_key(original_url),
            guid=stored_guid(guid),
            author_key=author_key(author),
            text_fingerprint=text_fingerprint(body),
            article_host=article_host_of(original_url, origin_domain),
        )

    @classmethod
    def of_item(cls, item: Item) -> "Candidate":
        """From a stored item, with the keys ingest stored on it."""
        return cls(
            origin_domain=item.origin.domain,
            url_key=item.url_key,
            guid=item.guid,
            author_key=item.author_key,
            text_fingerprint=item.text_fingerprint,
            article_host=item.article_host,
        )

    @property
    def domains(self) -> tuple[str, ...]:
        return tuple(d for d in dict.fromkeys((self.origin_domain, self.article_host)) if d)


@dataclass(frozen=True)
class Block:
    """What keeps a candidate out."""

    rule: BlockRule
    matched_by: str  # a Match name

    @property
    def case(self) -> str:
        return self.rule.case

    @property
    def reason(self) -> str:
        return f"block rule: {self.rule}"


def _covers(match: Match, rule: BlockRule, candidate: Candidate) -> bool:
    if rule.kind != match.rule_kind:
        return False
    if match.key is not None:
        value = getattr(candidate, match.key)
        if not value or getattr(rule, match.key) != value:
            return False
    if match.where == ANYWHERE:
        return True
    if match.where == AT:
        return rule.domain in candidate.domains
    return any(rule.domain in domain_candidates(domain) for domain in candidate.domains)


def _prefilter(candidates: list[Candidate]) -> Q | None:
    """One condition that finds every active rule that could cover any of the candidates:
    each part an indexed equality (key, domain) or a short IN list of them."""
    exact = set(chain.from_iterable(c.domains for c in candidates))
    within = set(chain.from_iterable(domain_candidates(d) for d in exact))
    condition = None
    for match in MATCHES:
        part = Q(kind=match.rule_kind)
        if match.key is not None:
            values = {getattr(c, match.key) for c in candidates} - {""}
            if not values:
                continue
            part &= Q(**{f"{match.key}__in": values})
        if match.where != ANYWHERE:
            domains = exact if match.where == AT else within
            if not domains:
                continue
            part &= Q(domain__in=domains)
        condition = part if condition is None else condition | part
    return condition


def blocks_for(candidates: list[Candidate], *, rules=None) -> list[Block | None]:
    """For each candidate, in order, the Block that keeps it out, or None. One query for
    the whole batch (callers keep batches to about a thousand). `rules` narrows the rules
    considered (default: every active rule)."""
    candidates = list(candidates)
    condition = _prefilter(candidates)
    if condition is None:
        return [None] * len(candidates)
    rules = (rules if rules is not None else BlockRule.objects.all()).filter(is_active=True)
    found = list(rules.filter(condition).order_by("pk"))  # the oldest first
    answers = []
    for candidate in candidates:
        answer = None
        for match in MATCHES:
            rule = next((r for r in found if _covers(match, r, candidate)), None)
            if rule is not None:
                answer = Block(rule, match.name)
                break
        answers.append(answer)
    return answers


def block_for(candidate: Candidate) -> Block | None:
    return blocks_for([candidate])[0]


def origin_block(domain: str) -> BlockRule | None:
    """The active origin rule that blocks a site (its domain or a parent), if any: the
    oldest."""
    block = block_for(Candidate(origin_domain=normalise_domain(domain), url_key=""))
    return block.rule if block else None


def origin_block_expression() -> Exists:
    """For annotating origins: whether an active origin rule blocks each one (the "origin"
    match, in SQL: the rule's domain is the origin's, or a parent of it with a dot)."""
    return Exists(
        BlockRule.objects.filter(is_active=True, kind=BlockRule.Kind.ORIGIN)
        .annotate(
            origin_suffix=Right(OuterRef("domain"), Length("domain") + 1),
            dotted=Concat(Value("."), "domain"),
        )
        .filter(Q(domain=OuterRef("domain")) | Q(domain__contains=".", origin_suffix=F("dotted")))
    )


# --- the SQL form ----------------------------------------------------------------------------

ITEM, ORIGIN, RULE = Item._meta.db_table, Origin._meta.db_table, BlockRule._meta.db_table


def _parent(column: str) -> str:
    """SQL: the domain one label up (a.b.example -> b.example)."""
    find = "STRPOS" if connection.vendor == "postgresql" else "INSTR"
    return f"SUBSTR({column}, {find}({column}, '.') + 1)"


def _has_dot(expression: str) -> str:
    find = "STRPOS" if connection.vendor == "postgresql" else "INSTR"
    return f"{find}({expression}, '.') > 0"


def _domains_cte() -> str:
    """Every (origin, domain that covers it) and (article host, domain that covers it) pair:
    the domain itself and each parent that still has a dot, exactly as domain_candidates()
    says. (PostgreSQL wants the recursive column's type the same in both terms: text.)"""
    return f"""
        origin_domains(origin_id, domain) AS (
            SELECT id, CAST(domain AS TEXT) FROM {ORIGIN}
            UNION ALL
            SELECT origin_id, {_parent("domain")} FROM origin_domains
            WHERE {_has_dot(_parent("domain"))}
        ),
        host_domains(host, domain) AS (
            SELECT DISTINCT CAST(article_host AS TEXT), CAST(article_host AS TEXT)
            FROM {ITEM} WHERE article_host <> ''
            UNION ALL
            SELECT host, {_parent("domain")} FROM host_domains
            WHERE {_has_dot(_parent("domain"))}
        )
    """


def _items_where(condition: str) -> str:
    """The published items meeting `condition`, looked up rule by rule through an index.

    The rules are few and the items many: probing the items' index once per rule is far
    cheaper than the hash join over every published item PostgreSQL otherwise estimates to
    be cheaper. OFFSET 0 keeps the LATERAL subquery from being flattened into such a join.
    SQLite always joins with nested loops over indexes."""
    if connection.vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL (SELECT i.id FROM {ITEM} i "
            f"WHERE {condition} AND i.status = 'published' OFFSET 0) i"
        )
    return f"JOIN {ITEM} i ON {condition} AND i.status = 'published'"


def _match_sql(match: Match, case: str | None) -> list[tuple[str, list]]:
    """The SELECTs (match name, rule id, item id), each with its parameters, for one Match:
    one per way an item can be at a domain (its origin's, its original's host)."""
    key = f" AND i.{match.key} = r.{match.key}" if match.key else ""
    where = f"WHERE r.is_active = %s AND r.kind = '{match.rule_kind}'"
    params = [True]
    if match.key:
        where += f" AND r.{match.key} <> ''"
    if case is not None:
        where += f" AND r.{connection.ops.quote_name('case')} = %s"
        params.append(case)
    head = f"SELECT '{match.name}', r.id, i.id FROM {RULE} r"
    if match.where == ANYWHERE:
        froms = [_items_where(key.removeprefix(" AND "))]
    elif match.where == AT:
        froms = [
            f"JOIN {ORIGIN} o ON o.domain = r.domain {_items_where('i.origin_id = o.id' + key)}",
            # `<> ''` lets the planner use the small partial index on article_host.
            _items_where("i.article_host <> '' AND i.article_host = r.domain" + key),
        ]
    else:
        froms = [
            "JOIN origin_domains od ON od.domain = r.domain "
            + _items_where("i.origin_id = od.origin_id" + key),
            "JOIN host_domains hd ON hd.domain = r.domain "
            + _items_where("i.article_host <> '' AND i.article_host = hd.host" + key),
        ]
    return [(f"{head} {joins} {where}", params) for joins in froms]


@dataclass(frozen=True)
class PublishedMatch:
    item_id: int
    rule_id: int
    matched_by: str  # a Match name


MATCHES_ONLY = "SELECT matched_by, rule_id, item_id FROM matches"


def published_matches_sql(
    *, case: str | None = None, select: str = MATCHES_ONLY
) -> tuple[str, list]:
    """The SQL form itself, and its parameters: a table `matches(matched_by, rule_id,
    item_id)` of every published item an active rule covers (only `case`'s rules, if
    given), read by `select` (which may join it to whatever a caller shows)."""
    parts = [part for match in MATCHES for part in _match_sql(match, case)]
    union = " UNION ALL ".join(part for part, _ in parts)
    sql = (
        f"WITH RECURSIVE {_domains_cte()}, "
        f"matches(matched_by, rule_id, item_id) AS ({union}) {select}"
    )
    return sql, [param for _, params in parts for param in params]


def published_matches_fetch(*, case: str | None = None, select: str = MATCHES_ONLY) -> list:
    """Run the SQL form (see published_matches_sql) and return its rows. On PostgreSQL the
    recursive domain tables make the planner expect far more rows than there are, which
    would have every run compiled by its JIT: a quarter of a second of compiling for a few
    milliseconds of work. It is switched off for this one statement (one more query, on
    PostgreSQL only)."""
    sql, params = published_matches_sql(case=case, select=select)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def published_matches(*, case: str | None = None) -> list[PublishedMatch]:
    """Every (published item, active rule) pair the rules cover, by every Match that covers
    it (only `case`'s rules, if given): one query, whatever the number of items and rules.
    None at all is the promise kept."""
    rows = published_matches_fetch(case=case)
    return sorted(
        {PublishedMatch(item_id, rule_id, matched_by) for matched_by, rule_id, item_id in rows},
        key=lambda m: (m.item_id, MATCH_ORDER.index(m.matched_by), m.rule_id),
    )


def best_matches(matches: list[PublishedMatch]) -> dict[int, PublishedMatch]:
    """Per item, the match blocks_for would give: the most specific, then the oldest rule
    (rules are numbered in the order they were made)."""
    best: dict[int, PublishedMatch] = {}
    for match in matches:  # sorted by item, then specificity, then rule
        best.setdefault(match.item_id, match)
    return best
