"""One answer to "what do this origin's signals allow?", in words staff can read, and the
two questions asked of it: did permission narrow since the last reading, and do the
signals contradict the basis we rely on. Pure functions over (kind, value) pairs."""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from compliance.items.models import LicenceBasis

from .models import PERMISSION_RANK, Permission
from .readers import content_signals, tdm_reserved

CC_PATH = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<code>[a-z-]+)/(?P<version>[\d.]+)"
    r"|publicdomain/(?P<pd>zero|mark)/(?P<pdversion>[\d.]+))",
    re.IGNORECASE,
)
CC_LINK_KINDS = ("rel_license", "jsonld_license", "feed_licence_link")
RESERVED_WORDS = re.compile(r"all rights reserved|tous droits réservés|alle rechte vorbehalten")
PAID = {"purchase", "subscription", "training", "crawl", "inference", "use"}


@dataclass
class Verdict:
    permission: str
    words: str
    cc_licences: set[str] = field(default_factory=set)  # "by/4.0", "zero/1.0"
    tdm_reserved: bool = False


def cc_licence(url: str) -> str:
    """ "by-nc/4.0" for a Creative Commons licence deed URL, "" for anything else."""
    match = CC_PATH.search(url or "")
    if not match:
        return ""
    if match["pd"]:
        return f"{match['pd'].lower()}/{match['pdversion']}"
    return f"{match['code'].lower()}/{match['version']}"


def cc_name(code: str) -> str:
    name, _, version = code.partition("/")
    if name in {"zero", "mark"}:
        return "CC0 1.0" if name == "zero" else "Public Domain Mark"
    return f"CC {name.upper()} {version}"


def _rsl_permission(terms: dict) -> tuple[str, str]:
    prohibited = set(terms.get("prohibits:usage", []))
    payment = (terms.get("payment") or "free").lower()
    if prohibited & {"all"}:
        return Permission.RESERVED, "RSL: not permitted"
    if payment in PAID:
        return Permission.PAYMENT, f"RSL: a licence must be bought ({payment})"
    if payment == "attribution":
        return Permission.CONDITIONS, "RSL: republication permitted with attribution"
    return Permission.OPEN, "RSL: permitted free of charge"


def verdict_of(signals: Iterable[tuple[str, str]]) -> Verdict:
    signals = [(kind, value) for kind, value in signals if value]
    parts, permission = [], Permission.NONE
    rsl = []
    for kind, value in signals:
        if kind == "rsl_license":
            try:
                rsl.append(_rsl_permission(json.loads(value)))
            except ValueError:
                continue
    cc = {cc_licence(value) for kind, value in signals if kind in CC_LINK_KINDS} - {""}
    rights = [
        value for kind, value in signals if kind in {"feed_rights", "jsonld_copyright_notice"}
    ]
    if rsl:
        # An RSL document may offer several licences: the most open one is on offer.
        permission, words = max(rsl, key=lambda pair: PERMISSION_RANK[pair[0]])
        parts.append(words)
    if cc:
        names = ", ".join(sorted(cc_name(code) for code in cc))
        parts.append(f"{names} offered for articles")
        if not rsl:
            open_only = all(code.startswith(("zero/", "mark/")) for code in cc)
            permission = Permission.OPEN if open_only else Permission.CONDITIONS
    if not rsl and not cc and any(RESERVED_WORDS.search(text.lower()) for text in rights):
        permission = Permission.RESERVED
        parts.append("all rights reserved")
    reserved = any(
        tdm_reserved(value) for kind, value in signals if kind in {"tdm_reservation", "tdmrep_rule"}
    )
    if reserved:
        parts.append("TDM rights reserved")
    for kind, value in signals:
        if kind == "content_signal":
            said = content_signals(value)
            if said:
                parts.append(
                    "Content-Signal " + ", ".join(f"{k}={v}" for k, v in sorted(said.items()))
                )
        elif kind == "meta_robots" and "noindex" in value.lower():
            parts.append("robots: noindex")
    words = "; ".join(dict.fromkeys(parts)) or "no signal"
    return Verdict(permission, words, cc, reserved)


def narrowing(
    before: Verdict, after: Verdict, before_rights: set[str], after_rights: set[str]
) -> list[str]:
    """How permission was withdrawn or narrowed from `before` to `after` (empty: it was
    not). The rights statements are compared as published."""
    found = []
    if PERMISSION_RANK[after.permission] < PERMISSION_RANK[before.permission]:
        found.append(
            f"permission narrowed: {Permission(before.permission).label} → "
            f"{Permission(after.permission).label}"
        )
    for gone in sorted(before.cc_licences - after.cc_licences):
        found.append(f"{cc_name(gone)} licence link gone")
    if before_rights and before_rights != after_rights:
        found.append("rights statement changed")
    if after.tdm_reserved and not before.tdm_reserved:
        found.append("a TDM reservation appeared")
    return found


def contradiction(verdict: Verdict, basis: LicenceBasis | None) -> str:
    """Where the origin's signals disagree with the basis in force ("" when they don't).
    A private agreement (written permission, syndication) is not contradicted by public
    signals; a Creative Commons basis is, when the origin no longer offers that licence."""
    narrow = verdict.permission in {Permission.RESERVED, Permission.PAYMENT}
    if basis is None:
        return f"no basis is recorded and the origin says: {verdict.words}" if narrow else ""
    if basis.kind in {LicenceBasis.Kind.WRITTEN_PERMISSION, LicenceBasis.Kind.SYNDICATION}:
        return ""
    if basis.kind == LicenceBasis.Kind.CREATIVE_COMMONS:
        wanted = cc_licence(basis.licence_url)
        if wanted and wanted not in verdict.cc_licences:
            return (
                f"the basis is {cc_name(wanted)}, but the origin offers "
                f"{', '.join(sorted(cc_name(c) for c in verdict.cc_licences)) or 'no CC licence'}"
                f" ({verdict.words})"
            )
        return ""
    if narrow:
        return f"the basis is “{basis.name}”, but the origin says: {verdict.words}"
    return ""
