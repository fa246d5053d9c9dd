"""Which unit gets a report (DESIGN.md: RoutingRule).

A report's site_code names a site. When its URL lies under that site (under one of the site's
own URL prefixes), the longest URL prefix within that site wins: a department's 子频道 on the
portal (www.city.gov.cn/mzj/) goes to the department, though its reports carry the portal's
网站标识码. When the URL is not under that site (or the site has no prefixes), the site_code
wins. Without a known site_code the longest URL prefix wins; an exact new-media account name
comes last. URLs are compared as host + path: scheme, `www.`, the
host's letter case, default ports, a trailing slash, query string and fragment are ignored.
Prefixes match on whole path segments (`a.gov.cn/news` matches `a.gov.cn/news/1.html`, not
`a.gov.cn/newsletter`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

DEFAULT_PORTS = {"80", "443"}
# A scheme only at the start: "a.gov.cn/go?to=http://b.gov.cn" has none of its own.
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def normalize_url(url: str | None) -> str | None:
    if not url or not url.strip():
        return None
    raw = url.strip()
    if not SCHEME.match(raw):
        raw = "http://" + raw.lstrip("/")
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if host.startswith("www."):
        host = host[4:]
    if port is not None and str(port) not in DEFAULT_PORTS:
        host = f"{host}:{port}"
    path = "/".join(_segments(parts.path))
    return f"{host}/{path}" if path else host


def _segments(path: str) -> list[str]:
    """Path segments as a browser resolves them: empty and "." segments dropped, ".." climbs,
    UTF-8 percent-escapes decoded (so /%E6%96%B0%E9%97%BB and /新闻 are one path; an escaped
    "/" stays escaped so it cannot create a segment boundary)."""
    out: list[str] = []
    for seg in path.split("/"):
        try:
            seg = unquote(seg, errors="strict").replace("/", "%2F")
        except UnicodeDecodeError:  # escapes of GBK bytes: kept as written rather than garbled
            pass
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    return out


def candidate_prefixes(normalized: str) -> list[str]:
    """Every prefix of a normalised URL on a segment boundary, longest first."""
    segments = normalized.split("/")
    return ["/".join(segments[:i]) for i in range(len(segments), 0, -1)]


@dataclass(frozen=True)
class RuleRow:
    id: int
    kind: str
    pattern: str
    unit_id: int
    property_id: int | None
    priority: int = 0


@dataclass(frozen=True)
class Query:
    site_code: str | None = None
    url: str | None = None
    account: str | None = None


class RuleIndex:
    """Candidate rules by (kind, pattern), and each site's own URL prefixes by property."""

    def __init__(self, rules: Iterable[RuleRow]):
        self.by_key: dict[tuple[str, str], RuleRow] = {}
        self.site_prefixes: dict[int, set[str]] = {}
        for r in rules:
            self.by_key[(r.kind, r.pattern)] = r
            if r.kind == "url_prefix" and r.property_id is not None:
                self.site_prefixes.setdefault(r.property_id, set()).add(r.pattern)


def choose(query: Query, rules: Iterable[RuleRow] | RuleIndex) -> RuleRow | None:
    """The winning rule for one report among candidate rules (pure: no database)."""
    index = rules if isinstance(rules, RuleIndex) else RuleIndex(rules)
    by_key = index.by_key
    normalized = normalize_url(query.url)
    prefixes = candidate_prefixes(normalized) if normalized else []
    site = by_key.get(("site_code", query.site_code.strip().upper())) if query.site_code else None
    if site is not None:
        own = index.site_prefixes.get(site.property_id, set()) if site.property_id is not None else set()
        under = [p for p in prefixes if p in own]  # the site's prefixes the URL lies under
        if not under:
            return site
        # within the site: prefixes no shorter than the site's shortest one the URL lies under
        prefixes = prefixes[:prefixes.index(under[-1]) + 1]
    for prefix in prefixes:
        hit = by_key.get(("url_prefix", prefix))
        if hit:
            return hit
    if site is not None:
        return site
    if query.account:
        return by_key.get(("account", query.account.strip()))
    return None


def normalize_pattern(kind: str, pattern: str) -> str | None:
    if kind == "site_code":
        return pattern.strip().upper() or None
    if kind == "url_prefix":
        return normalize_url(pattern)
    return pattern.strip() or None


def route_many(session, queries: list[Query]) -> list[RuleRow | None]:
    """Route a batch with one query for all candidate rules."""
    codes, prefixes, accounts = set(), set(), set()
    for q in queries:
        if q.site_code and q.site_code.strip():
            codes.add(q.site_code.strip().upper())
        normalized = normalize_url(q.url)
        if normalized:
            prefixes.update(candidate_prefixes(normalized))
        if q.account and q.account.strip():
            accounts.add(q.account.strip())
    if not (codes or prefixes or accounts):
        return [None] * len(queries)
    rows = session.execute(_candidate_rules(), {
        "site_code": sorted(codes), "url_prefix": sorted(prefixes), "account": sorted(accounts)}).all()
    index = RuleIndex(RuleRow(*row) for row in rows)
    return [choose(q, index) for q in queries]


@cache
def _candidate_rules():
    """The rules whose key some report carries — built once: ingest routes on every request and
    building the expression each time cost more than running it. An empty list matches nothing."""
    from feedback.directory.models import RoutingRule

    return sa.select(
        RoutingRule.id, RoutingRule.kind, RoutingRule.pattern, RoutingRule.unit_id, RoutingRule.property_id,
        RoutingRule.priority,
    ).where(sa.or_(*(
        sa.and_(RoutingRule.kind == kind, RoutingRule.pattern.in_(sa.bindparam(kind, expanding=True)))
        for kind in ("site_code", "url_prefix", "account")
    )))
