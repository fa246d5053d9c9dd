"""Personal data in free text: finding it before a reply leaves, masking it before publication.

Replies go back to the national platform and closed messages are published; a reply quoting
the reporter's phone or an ID number repeats a leak the seeds count among the problems found
(四川 2025, 个人信息泄露). `find_personal_data` is the guard's detector (CONTRACT.md: reply,
note); `mask` uses the same patterns to blank what publication must not show.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# GB 11643: the 18th character is a check over the first 17 digits.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
# Mainland mobile numbers: 1[3-9] and nine more digits, optionally +86 and 3-4-4 separators.
_MOBILE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[- ]?)?(1[3-9]\d(?:[- ]?\d{4}){2})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SEPARATOR = "[- ]?"
MIN_NAME = 2  # a one-character "name" would match half of any text
MIN_PHONE_DIGITS = 7

KINDS = ("id_number", "mobile", "reporter_name", "reporter_phone", "reporter_email")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    start: int
    end: int
    value: str


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def is_id_number(value: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dXx]", value)) and id_check_digit(value[:17]) == value[17].upper()


def _reporter_fields(reporter) -> tuple[str | None, str | None, str | None]:
    if reporter is None:
        return None, None, None
    if isinstance(reporter, dict):
        return reporter.get("name"), reporter.get("phone"), reporter.get("email")
    return (getattr(reporter, "reporter_name", None), getattr(reporter, "reporter_phone", None),
            getattr(reporter, "reporter_email", None))


def _digits_pattern(phone: str) -> re.Pattern | None:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return re.compile(r"(?<!\d)" + _SEPARATOR.join(digits) + r"(?!\d)")


def find_personal_data(text: str | None, reporter=None) -> list[Finding]:
    """Every ID number with a valid check digit, mainland mobile number, and the reporter's own
    name, phone or e-mail in `text`, in order of position. `reporter`: a ticket (its
    reporter_* fields) or a dict {name, phone, email}."""
    if not text:
        return []
    found: list[Finding] = []
    for m in _ID.finditer(text):
        if is_id_number(m.group(1)):
            found.append(Finding("id_number", m.start(1), m.end(1), m.group(1)))
    for m in _MOBILE.finditer(text):
        found.append(Finding("mobile", m.start(), m.end(), m.group(0)))
    name, phone, email = _reporter_fields(reporter)
    name = (name or "").strip()
    if len(name) >= MIN_NAME:
        found += [Finding("reporter_name", m.start(), m.end(), m.group(0))
                  for m in re.finditer(re.escape(name), text)]
    pattern = _digits_pattern(phone)
    if pattern is not None:
        found += [Finding("reporter_phone", m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]
    email = (email or "").strip()
    if "@" in email:
        found += [Finding("reporter_email", m.start(), m.end(), m.group(0))
                  for m in re.finditer(re.escape(email), text, re.IGNORECASE)]
    return sorted(found, key=lambda f: (f.start, KINDS.index(f.kind)))


def kinds(findings: list[Finding]) -> list[str]:
    """The kinds found, each once, in KINDS order (what a warning names)."""
    present = {f.kind for f in findings}
    return [k for k in KINDS if k in present]


def _masked(kind: str, value: str) -> str:
    if kind == "id_number":
        return value[:4] + "*" * 12 + value[-2:]
    if kind in ("mobile", "reporter_phone"):
        digits = re.sub(r"\D", "", value)
        return digits[:3] + "****" + digits[-4:] if len(digits) >= 7 else "*" * len(value)
    if kind in ("reporter_email", "email"):
        local, _, domain = value.partition("@")
        return (local[:1] or "*") + "***@" + domain
    return value[:1] + "*" * max(1, len(value) - 1)  # a name


def mask(text: str | None, reporter=None) -> str | None:
    """`text` with every finding of `find_personal_data` masked, and any e-mail address too
    (publication shows no one's address)."""
    if not text:
        return text
    spans = [(f.start, f.end, f.kind) for f in find_personal_data(text, reporter)]
    spans += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    out, pos = [], 0
    for start, end, kind in spans:
        if start < pos:
            continue  # inside a span already masked
        out.append(text[pos:start])
        out.append(_masked(kind, text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)
