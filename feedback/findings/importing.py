"""A notice's 附件 table as findings (CONTRACT.md: `feedback findings import FILE`).

All or nothing, like `feedback units load`: every row is checked first, each bad row named by the
row number Excel shows; if any is bad nothing is stored. Good rows become open findings, each
with its `create` event, in the caller's transaction (the caller commits).
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from feedback.accounts.scope import Actor, unit_in_scope
from feedback.directory.loaders import LoadErrors, RowError
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.findings import lifecycle
from feedback.findings.fields import COLUMNS, REQUIRED, parse
from feedback.tabular import column_indexes, read_table


def import_findings(path: str | Path, actor: Actor, at: datetime, *, source: str | None = None) -> list:
    """The findings created, in file order. `source` names the notice for rows without 来源."""
    table = read_table(path)
    indexes, header_problems = column_indexes(table.header, COLUMNS, REQUIRED)
    if header_problems:
        raise LoadErrors([RowError(None, None, p) for p in header_problems])
    if not table.rows:
        raise LoadErrors([RowError(None, None, "the file has a header but no data rows")])
    rows = [(number, {f: cells[i] if i < len(cells) else "" for f, i in indexes.items()})
            for number, cells in table.rows]
    codes = {values.get("unit_code") for _, values in rows} - {"", None}
    units = {u.code: u for u in db.session.execute(sa.select(Unit).where(Unit.code.in_(codes))).scalars()}
    problems, good = [], []
    for number, values in rows:
        if source and not values.get("source"):
            values["source"] = source
        fields, errors = parse(values, units)
        if fields is not None and not unit_in_scope(actor, fields.unit):
            errors = {"unit_code": f"unit {fields.unit.code!r} is not in your scope"}
        if errors:
            problems += [RowError(number, name, message) for name, message in errors.items()]
        else:
            good.append(fields)
    if problems:
        raise LoadErrors(problems)
    return [lifecycle.create(fields, actor, at, via="import") for fields in good]
