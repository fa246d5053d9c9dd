"""Likely duplicates (重复留言): the same page, or nearly the same words about the same site.

A report is flagged when an open ticket received within the 30 days before it names the same
page (the same normalised URL; for a site's home page or a section's index, which netizens give
for all kinds of problems, the descriptions must also be alike), or says nearly the same about
the same site (`site_key`: the 网站标识码, else the URL's host, else the account name) and the
same unit (a portal hosts every department's channels). The flag is written at ingest (`flag_new`); the pages
show it while both tickets are still open, with a one-click "mark duplicate of" that is the
lifecycle's `invalidate` with `duplicate_of`. Figures already exclude invalid tickets.

`match` is the rule in plain Python; `flag_new` only narrows the candidates in SQL (one query
per ingest chunk on the site_key index) and applies `match` to them.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import sqlalchemy as sa

from feedback.accounts.scope import Actor, ticket_scope
from feedback.directory.routing import normalize_url
from feedback.extensions import db
from feedback.tickets.models import OPEN_STATES, DuplicateFlag, Ticket, is_open

WINDOW = timedelta(days=30)
SIMILAR = 0.8  # Dice coefficient of character bigrams at or above which two descriptions match
ALIKE = 0.5  # the weaker likeness asked of two reports giving the same home page or section index
MAX_KEY = 200
# A report is compared with at most this many earlier open tickets of each bucket (same page,
# or same site and quoted names): an import of thousands of rows naming one page stays linear.
MAX_COMPARED = 200
_TRACKING = re.compile(r"^(utm_\w+|spm|from|source|share\w*|timestamp|t|_)$", re.IGNORECASE)
_INDEX_PAGE = re.compile(r"/index\.s?html?$|/default\.(?:s?html?|aspx?)$", re.IGNORECASE)


@lru_cache(maxsize=65536)
def url_key(url: str | None) -> str | None:
    """The page a URL names, as routing normalises it, with its query (sorted, tracking
    parameters dropped) and without a trailing index page."""
    base = normalize_url(url)
    if base is None:
        return None
    base = _INDEX_PAGE.sub("", base).rstrip("/")
    try:
        query = urlsplit(url.strip() if "://" in url else "http://" + url.strip()).query
    except ValueError:
        query = ""
    params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _TRACKING.match(k))
    return base + ("?" + urlencode(params) if params else "")


def names_a_page(key: str) -> bool:
    """Whether a url_key names one page (an article, a file, a query) rather than a site's home
    page or a section's index."""
    path = key.split("?", 1)[0]
    if "?" in key:
        return True
    if "/" not in path:
        return False
    last = path.rsplit("/", 1)[1]
    return "." in last or sum(ch.isdigit() for ch in last) >= 4


def site_key(site_code: str | None, url: str | None, site_name: str | None) -> str | None:
    """Which site a report is about, for comparing descriptions (stored on the ticket)."""
    if site_code and site_code.strip():
        return "code:" + site_code.strip()[:MAX_KEY]
    key = url_key(url)
    if key:
        return "host:" + key.split("/", 1)[0].split("?", 1)[0][:MAX_KEY]
    if site_name and site_name.strip():
        return "name:" + site_name.strip()[:MAX_KEY]
    return None


@lru_cache(maxsize=65536)
def _letters(text: str | None) -> str:
    """What a description says, without its spacing and punctuation."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


_ANCHOR = re.compile(r"“([^”]{1,40})”|《([^》]{1,80})》|\"([^\"]{1,40})\"|(\d+)")


@lru_cache(maxsize=65536)
def anchors(text: str | None) -> frozenset[str]:
    """The quoted names, titles and numbers (dates) a description points at: two otherwise alike
    reports that point at different ones are about different things."""
    return frozenset({next(g for g in m.groups() if g) for m in _ANCHOR.finditer(unicodedata.normalize("NFKC", text or ""))})


def similarity(a: str | None, b: str | None) -> float:
    """Dice coefficient of the character bigrams of the two texts (0..1)."""
    a, b = _letters(a), _letters(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    grams_a = [a[i:i + 2] for i in range(max(1, len(a) - 1))]
    grams_b = [b[i:i + 2] for i in range(max(1, len(b) - 1))]
    pool = {}
    for g in grams_b:
        pool[g] = pool.get(g, 0) + 1
    common = 0
    for g in grams_a:
        if pool.get(g):
            pool[g] -= 1
            common += 1
    return 2 * common / (len(grams_a) + len(grams_b))


def match(new, old) -> tuple[str, float] | None:
    """Whether `old` (an earlier open ticket) makes `new` a likely duplicate: ("url", 1.0),
    ("text", score) or None. Both are anything with the ticket's fields; openness is the caller's."""
    if old.id == new.id or old.received_at > new.received_at or new.received_at - old.received_at > WINDOW:
        return None
    if old.received_at == new.received_at and old.id > new.id:
        return None
    new_url, old_url = url_key(new.url), url_key(old.url)
    if new_url and new_url == old_url and names_a_page(new_url):
        return "url", 1.0
    if anchors(new.description) != anchors(old.description):
        return None
    score = None
    if new_url and new_url == old_url:
        score = similarity(new.description, old.description)
        if score >= ALIKE:
            return "url", score
    same_unit = new.unit_id is None or old.unit_id is None or new.unit_id == old.unit_id
    if new.site_key and new.site_key == old.site_key and same_unit:
        score = similarity(new.description, old.description) if score is None else score
        if score >= SIMILAR:
            return "text", score
    return None


def best(new, candidates) -> tuple[object, str, float] | None:
    """The earliest candidate that matches (the original, to mark the new one a duplicate of)."""
    for old in sorted(candidates, key=lambda c: (c.received_at, c.id)):
        found = match(new, old)
        if found:
            return old, *found
    return None


_CANDIDATE_COLUMNS = (Ticket.id, Ticket.received_at, Ticket.url, Ticket.site_key, Ticket.unit_id,
                      Ticket.description)


def flag_new(created: list, at: datetime) -> int:
    """Flag the tickets just ingested (objects with id, state, received_at, url, site_key,
    unit_id, description) against the open tickets; returns how many were flagged. Caller commits."""
    fresh = [t for t in created if t.state in OPEN_STATES and t.site_key]
    if not fresh:
        return 0
    since = min(t.received_at for t in fresh) - WINDOW
    until = max(t.received_at for t in fresh)
    keys = sorted({t.site_key for t in fresh})
    # Only a candidate naming the same page, or pointing at the same quoted names and numbers,
    # can match (see `match`): bucket them so each report is compared with those alone.
    buckets: dict[tuple, list] = {}
    for row in db.session.execute(
            sa.select(*_CANDIDATE_COLUMNS)
            .where(Ticket.site_key.in_(keys), is_open(),
                   Ticket.received_at >= since, Ticket.received_at <= until)
            .order_by(Ticket.received_at, Ticket.id)):
        buckets.setdefault((row.site_key, "url", url_key(row.url)), []).append(row)
        buckets.setdefault((row.site_key, "anchors", anchors(row.description)), []).append(row)
    flags = []
    for t in fresh:
        candidates = {}
        for bucket in ((t.site_key, "url", url_key(t.url)), (t.site_key, "anchors", anchors(t.description))):
            earlier = [c for c in buckets.get(bucket, ()) if c.received_at <= t.received_at]
            candidates.update((c.id, c) for c in earlier[-MAX_COMPARED:])
        found = best(t, candidates.values())
        if found:
            old, reason, score = found
            flags.append({"ticket_id": t.id, "candidate_id": old.id, "reason": reason,
                          "score": round(score * 100), "flagged_at": at})
    if flags:
        db.session.execute(sa.insert(DuplicateFlag), flags)
    return len(flags)


@dataclass(frozen=True)
class Flag:
    ticket_id: int
    candidate: Ticket
    reason: str  # url | text
    score: int  # percent similar (100 for the same URL)


def shown_flags(actor: Actor, ticket_ids) -> dict[int, Flag]:
    """The flags of these tickets that still hold: both open, the original in the actor's scope."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(DuplicateFlag, Ticket).join(Ticket, Ticket.id == DuplicateFlag.candidate_id)
        .where(DuplicateFlag.ticket_id.in_(sa.select(Ticket.id).where(Ticket.id.in_(ids),
                                                                      is_open())),
               is_open(), ticket_scope(actor))).all()
    return {f.ticket_id: Flag(f.ticket_id, t, f.reason, f.score) for f, t in rows}


def flagged_query(actor: Actor):
    """Open tickets in scope flagged as likely duplicates of an open ticket in scope."""
    originals = sa.select(Ticket.id).where(ticket_scope(actor), is_open())
    return (sa.select(Ticket).join(DuplicateFlag, DuplicateFlag.ticket_id == Ticket.id)
            .where(ticket_scope(actor), is_open(), DuplicateFlag.candidate_id.in_(originals)))
