"""The OpenAPI 3.1 description of /api/v1 (CONTRACT.md: HTTP API v1), served at /api/v1/openapi.json.

A test checks that every route of the API blueprint is described here.
"""
from __future__ import annotations

from feedback.tickets.listing import MAX_PER_PAGE
from feedback.tickets.models import CATEGORIES, STATES
from feedback.timeutil import MAX_PAGE


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "") -> dict:
    return {"description": description or "OK", "content": {"application/json": {"schema": schema}}}


TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with an offset"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
UNIT_REF = {"type": ["object", "null"], "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}
ERRORS = {
    "401": _json(_ref("Error"), "no or bad token"),
    "403": _json(_ref("Error"), "the token's role may not do this"),
    "404": _json(_ref("Error"), "no such ticket in your scope"),
    "409": _json(_ref("Error"), "the action is not allowed from the ticket's state"),
    "413": _json(_ref("Error"), "body over FEEDBACK_MAX_BODY_BYTES"),
    "422": _json(_ref("Error"), "invalid input: errors maps each field to what is wrong"),
}


def _errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in codes}


REPORT_FIELDS = {
    "platform_id": {"type": "string", "description": "留言编号; the import is idempotent on it"},
    "received_at": dict(TIME, description="转办时间: when the platform forwarded it"),
    "submitted_at": dict(TIME, description="留言时间"),
    "site_name": {"type": "string"}, "site_code": {"type": "string", "description": "网站标识码"},
    "url": {"type": "string", "description": "问题网址"},
    "category": {"type": "string", "description": "a category code or label (内容错误, 错别字, …)"},
    "description": {"type": "string", "description": "问题描述"},
    "reporter": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {
        "name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}}}]},
    "reporter_name": {"type": "string"}, "reporter_phone": {"type": "string"}, "reporter_email": {"type": "string"},
    "unit_code": {"type": "string", "description": "history: the unit that handled it (skips routing)"},
    "assigned_at": TIME, "replied_at": TIME, "closed_at": TIME, "reply": {"type": "string"},
    "state": {"type": "string", "enum": ["办结", "closed", "无效", "invalid", ""]},
}

FIGURE_FIELDS = {
    name: {"type": "integer"} for name in ("received", "closed", "on_time", "late", "overdue_open", "pending")
}
FIGURE_FIELDS.update({
    "on_time_rate": {"type": ["number", "null"], "description": "按期办结率 0..1; null when closed + overdue_open = 0"},
    "avg_handling_hours": {"type": ["number", "null"]},
    "median_handling_hours": {"type": ["number", "null"]},
    "p90_handling_hours": {"type": ["number", "null"]},
    "avg_handling_workdays": {"type": ["number", "null"]},
})

# A required text: at least one character that is not white space (the lifecycle trims it).
TEXT = {"type": "string", "minLength": 1, "pattern": "\\S"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}

ACTIONS = {
    "assign": ({"unit": {"type": "string"}}, ["unit"], "supervisor: new → assigned (fresh unit clock)"),
    "reassign": ({"unit": {"type": "string"}}, ["unit"],
                 "supervisor: assigned, in_progress → assigned, to a unit in the caller's subtree (改派); "
                 "a move inside a region keeps the region's clock"),
    "accept": ({}, [], "unit staff: assigned → in_progress (签收)"),
    "reply": ({"text": TEXT, "attachments": {"type": "array", "items": {"type": "integer"}},
               "template_id": {"type": "integer", "description": "the reply template it was built from"},
               "confirm": {"type": "boolean", "description": "keep personal data the guard found"}},
              ["text"], "unit staff: assigned, in_progress → replied; text with an ID number, a mobile number "
              "or the reporter's own name/phone/e-mail → 422 naming text unless confirm is true"),
    "note": ({"text": TEXT, "internal": {"type": "boolean"},
              "attachments": {"type": "array", "items": {"type": "integer"}}, "confirm": {"type": "boolean"}},
             ["text", "internal"], "unit staff, supervisors in scope: state unchanged; internal notes never "
             "leave the system; a non-internal note has the reply's personal-data guard"),
    "approve": ({}, [], "supervisor: replied → closed (办结)"),
    "reject": ({"reason": TEXT}, ["reason"], "supervisor: replied → in_progress (退回重办)"),
    "return": ({"reason": TEXT}, ["reason"], "unit staff, region supervisor: assigned, in_progress → new, in the triage of the level that "
               "made the last hand-off (退回)"),
    "request-extension": ({"days": {"type": "integer", "minimum": 1, "maximum": 30},
                           "reason": TEXT}, ["days", "reason"], "unit staff: 延期申请"),
    "decide-extension": ({"approve": {"type": "boolean"}, "days": {"type": "integer", "minimum": 1, "maximum": 30},
                          "reason": TEXT}, ["approve"],
                         "supervisor: approve moves unit_due_at; a refusal (approve false) requires reason"),
    "invalidate": ({"reason": TEXT, "duplicate_of": {"type": ["integer", "string"]}},
                   ["reason"], "supervisor: any open → invalid (无效/重复)"),
}

def _action_body(name: str, props: dict, required: list) -> dict:
    body = {"title": name, "type": "object", "properties": props, "required": required}
    if name == "decide-extension":  # a refusal must say why
        body.update({"if": {"properties": {"approve": {"const": False}}, "required": ["approve"]},
                     "then": {"required": ["approve", "reason"]}})
    return body


RESULT_FIELDS = ["index", "platform_id", "status", "ticket_id", "state", "unit", "unit_due_at", "platform_due_at",
                 "deadline_provisional", "errors"]
ASSESSMENT = {"type": "object", "properties": {
    "quarter": {"type": ["string", "null"], "description": "null for a window"},
    "from": {"type": "string"}, "to": {"type": "string"}, "as_of": TIME,
    "rows": {"type": "array", "items": {"allOf": [_ref("FigureRow"), {"type": "object", "properties": {
        "deductions": {"type": "number"}, "flags": {"type": "array", "items": {"type": "string"}},
        **{name: {"type": "integer", "description": text} for name, text in (
            ("findings_open", "整改 findings due in the window, open at as_of"),
            ("findings_overdue", "of those, past their fix-by date"),
            ("findings_reported", "awaiting 复核 at as_of"),
            ("findings_accepted", "accepted by as_of"))},
        "findings_deductions": {"type": "number", "description": "included in deductions"}}}]}},
    "total": _ref("Figures"),
    "office": {"type": "object", "properties": FIGURE_FIELDS,
               "description": "the scope root's own figure, 未分派 included: the paragraph's headline"},
    "unassigned": {"type": "integer", "description": "未分派: valid tickets of the window waiting in the root's triage"},
    "notice_paragraph": {"type": "string"},
    "rules": {"type": "object", "description": "the deduction rules used"},
    "rules_in_force_at": TIME,
    "findings_rules": {"type": "object", "description": "the 整改 deduction rules used"}}}
FINDING_STATES = ("open", "reported", "accepted")
FINDING_FIELDS = {
    "unit_code": {"type": "string", "description": "单位编码: the unit that must fix it (in the caller's scope)"},
    "site_code": {"type": "string", "description": "网站标识码"},
    "account": {"type": "string", "description": "账号: a new-media account"},
    "category": {"type": "string", "description": "问题类型: a category code or label"},
    "description": {"type": "string", "description": "问题描述"},
    "url": {"type": "string", "description": "问题网址 (evidence)"},
    "fix_by": {"type": "string", "format": "date", "description": "整改期限"},
    "source": {"type": "string", "description": "来源: the notice"},
    "ticket_id": {"type": ["integer", "null"], "description": "the ticket it comes from (in scope)"},
}
FINDING_ACTIONS = {
    "report": ({"text": {"type": "string"}, "attachments": {"type": "array", "items": {"type": "integer"}}},
               ["text"], "unit staff: open → reported (整改报告), with files uploaded to the finding"),
    "send-back": ({"reason": {"type": "string"}}, ["reason"], "supervisor: reported → open (复核不通过)"),
    "accept": ({}, [], "supervisor: reported → accepted (复核通过)"),
}
FINDING_ID = {"name": "finding_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "找错工单 API", "version": "1",
             "description": "Reports in, tickets and figures out. Times are ISO 8601 with an offset."},
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/reports": {"post": {
            "summary": "Push one report, or {\"reports\": [...]} (at most 1000)",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                _ref("Report"),
                {"type": "object", "required": ["reports"],
                 "properties": {"reports": {"type": "array", "maxItems": 1000, "items": _ref("Report")}}}]}}}},
            "responses": {
                "201": _json(_ref("Result"), "one report: created"),
                "200": _json({"oneOf": [_ref("Result"), _ref("BatchResult")]}, "duplicate, or a batch"),
                **_errors("401", "403", "413", "422")},
        }},
        "/tickets": {"get": {
            "summary": "Tickets in the caller's scope",
            "parameters": [
                {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(STATES)}},
                {"name": "unit", "in": "query", "schema": {"type": "string"}, "description": "unit code (with subtree)"},
                {"name": "overdue", "in": "query", "schema": {"type": "boolean"}},
                {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}},
                {"name": "q", "in": "query", "schema": {"type": "string"},
                 "description": "search 留言编号, URL or description"},
                {"name": "received_from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "received_to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                 "description": f"1 to {MAX_PAGE}; a page past the last is empty"},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}},
            ],
            "responses": {"200": _json({"type": "object", "properties": {
                "items": {"type": "array", "items": _ref("Ticket")}, "page": {"type": "integer"},
                "per_page": {"type": "integer"}, "total": {"type": "integer"}}}), **_errors("401", "422")},
        }},
        "/tickets/{id}": {"get": {
            "summary": "One ticket with its events",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": ID}],
            "responses": {"200": _json(_ref("TicketWithEvents")), **_errors("401", "404")},
        }},
        "/tickets/{id}/{action}": {"post": {
            "summary": "Act on a ticket: " + ", ".join(ACTIONS),
            "description": "\n".join(f"- {name}: {text}" for name, (_, _, text) in ACTIONS.items()),
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": ID},
                {"name": "action", "in": "path", "required": True, "schema": {"type": "string", "enum": list(ACTIONS)}},
            ],
            "requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                _action_body(name, props, required) for name, (props, required, _) in ACTIONS.items()]}}}},
            "responses": {"200": _json(_ref("TicketWithEvents")), **_errors("401", "403", "404", "409", "422")},
        }},
        "/tickets/{id}/attachments": {"post": {
            "summary": "Upload a file for a reply or note (PNG, JPEG, PDF, DOCX, XLSX; checked by content)",
            "description": "Bodies up to FEEDBACK_ATTACHMENT_MAX_BYTES (10 MB) whatever FEEDBACK_MAX_BODY_BYTES "
                           "says. Then name its id in a reply's or note's `attachments`.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json(_ref("Attachment"), "stored"),
                          **_errors("401", "403", "404", "413", "422")},
        }},
        "/attachments/{attachment_id}": {"get": {
            "summary": "The file, to callers in its ticket's scope",
            "parameters": [{"name": "attachment_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "the file's bytes with its sniffed content type"},
                          **_errors("401", "404")},
        }},
        "/metrics/closure": {"get": {
            "summary": "Closure figures (DESIGN.md: Figures) per unit or region, and the total",
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "as_of", "in": "query", "schema": {"type": "string"},
                 "description": "a time; without an offset it is Asia/Shanghai; default now"},
                {"name": "unit", "in": "query", "schema": {"type": "string"}},
                {"name": "group", "in": "query", "schema": {"type": "string", "enum": ["unit", "region"]}},
            ],
            "responses": {"200": _json({"type": "object", "properties": {
                "from": {"type": "string"}, "to": {"type": "string"}, "as_of": TIME,
                "rows": {"type": "array", "items": _ref("FigureRow")}, "total": _ref("Figures"),
                "group": {"type": "string", "enum": ["unit", "region"]},
                "unit": {"type": ["object", "null"], "description": "the report's root unit"},
                "office": {"type": "object", "properties": FIGURE_FIELDS, "description":
                           "the report root's own figure on its own clock (the platform clock for the top "
                           "office, else the hand-off into the root), every valid ticket beneath it, "
                           "未分派 included"},
                "unassigned": {"type": "integer", "description":
                               "未分派: valid tickets of the period waiting in the root's triage (the top "
                               "office: without a unit, in no row; a region: returned into its own triage); "
                               "0 when the caller's scope has no triage"}},
                "required": ["from", "to", "as_of", "rows", "total", "office", "unassigned"]}),
                **_errors("401", "403", "422")},
        }},
        "/assessment/{quarter}": {"get": {
            "summary": "The quarterly assessment: figures, deductions and flags per unit; cut back to "
                       "as_of's date when the quarter is not over",
            "parameters": [
                {"name": "quarter", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^\\d{4}Q[1-4]$"}},
                {"name": "as_of", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _json(ASSESSMENT), **_errors("401", "403", "422")},
        }},
        "/assessment": {"get": {
            "summary": "The assessment of any window (whole local days, both included), e.g. from the day "
                       "after the last notice's cut-off to today; quarter is null",
            "parameters": [
                {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                {"name": "as_of", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _json(ASSESSMENT), **_errors("401", "403", "422")},
        }},
        "/findings": {
            "get": {
                "summary": "整改 findings in the caller's scope, most urgent first",
                "parameters": [
                    {"name": "unit", "in": "query", "schema": {"type": "string"}, "description": "unit code (with subtree)"},
                    {"name": "state", "in": "query", "schema": {"type": "string", "enum": list(FINDING_STATES)}},
                    {"name": "overdue", "in": "query", "schema": {"type": "boolean"},
                     "description": "open after 23:59:59 local time on its fix-by date"},
                    {"name": "source", "in": "query", "schema": {"type": "string"}, "description": "the notice"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                ],
                "responses": {"200": _json({"type": "object", "properties": {
                    "items": {"type": "array", "items": _ref("Finding")}, "page": {"type": "integer"},
                    "per_page": {"type": "integer"}, "total": {"type": "integer"}}}), **_errors("401", "422")},
            },
            "post": {
                "summary": "Record a finding (supervisor)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["unit_code", "description", "fix_by"],
                    "properties": FINDING_FIELDS}}}},
                "responses": {"201": _json(_ref("FindingWithEvents"), "recorded"),
                              **_errors("401", "403", "413", "422")},
            },
        },
        "/findings/{finding_id}": {"get": {
            "summary": "One finding with its events",
            "parameters": [FINDING_ID],
            "responses": {"200": _json(_ref("FindingWithEvents")), **_errors("401", "404")},
        }},
        "/findings/{finding_id}/{action}": {"post": {
            "summary": "Act on a finding: " + ", ".join(FINDING_ACTIONS),
            "description": "\n".join(f"- {name}: {text}" for name, (_, _, text) in FINDING_ACTIONS.items()),
            "parameters": [FINDING_ID, {"name": "action", "in": "path", "required": True,
                                        "schema": {"type": "string", "enum": list(FINDING_ACTIONS)}}],
            "requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                {"title": name, "type": "object", "properties": props, "required": required}
                for name, (props, required, _) in FINDING_ACTIONS.items()]}}}},
            "responses": {"200": _json(_ref("FindingWithEvents")), **_errors("401", "403", "404", "409", "422")},
        }},
        "/findings/{finding_id}/attachments": {"post": {
            "summary": "Upload a file for a finding's 整改 report (PNG, JPEG, PDF, DOCX, XLSX; checked by content)",
            "description": "Bodies up to FEEDBACK_ATTACHMENT_MAX_BYTES (10 MB). Then name its id in the report's "
                           "`attachments`. GET /attachments/{attachment_id} serves it to callers who see the finding.",
            "parameters": [FINDING_ID],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json(_ref("Attachment"), "stored"),
                          **_errors("401", "403", "404", "413", "422")},
        }},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "properties": {
                "error": {"type": "string"}, "errors": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "Report": {"type": "object", "required": ["platform_id", "received_at", "description"],
                       "properties": REPORT_FIELDS},
            # Each of Result and BatchResult requires what the other lacks, so the 200 answer's
            # oneOf matches exactly one of them.
            "Result": {"type": "object", "required": RESULT_FIELDS, "properties": {
                "index": {"type": "integer"}, "platform_id": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["created", "duplicate", "error"]},
                "ticket_id": {"type": ["integer", "null"]}, "state": {"type": ["string", "null"]},
                "unit": UNIT_REF, "unit_due_at": NTIME, "platform_due_at": NTIME,
                "deadline_provisional": {"type": ["boolean", "null"]},
                "errors": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "BatchResult": {"type": "object", "required": ["created", "duplicate", "error", "results"], "properties": {
                "created": {"type": "integer"}, "duplicate": {"type": "integer"}, "error": {"type": "integer"},
                "results": {"type": "array", "items": _ref("Result")}}},
            "Attachment": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "size": {"type": "integer"},
                "content_type": {"type": "string"},
                "event_id": {"type": ["integer", "null"], "description": "the reply or note it is on (in TICKET)"}}},
            "Ticket": {"type": "object", "properties": {
                "id": {"type": "integer"}, "platform_id": {"type": "string"},
                "state": {"type": "string", "enum": list(STATES)},
                "category": {"type": "string", "enum": list(CATEGORIES)}, "description": {"type": "string"},
                "url": {"type": ["string", "null"]}, "site_code": {"type": ["string", "null"]}, "unit": UNIT_REF,
                "received_at": TIME, "assigned_at": NTIME, "unit_due_at": NTIME, "platform_due_at": TIME,
                "deadline_provisional": {"type": "boolean"}, "replied_at": NTIME, "closed_at": NTIME,
                "extensions": {"type": "integer"},
                "attachments": {"type": "array", "items": _ref("Attachment")},
                "reporter": {"type": "object", "description": "masked unless the caller's role may see it",
                             "properties": {"name": {"type": ["string", "null"]}, "phone": {"type": ["string", "null"]},
                                            "email": {"type": ["string", "null"]}}}}},
            "TicketWithEvents": {"allOf": [_ref("Ticket"), {"type": "object", "properties": {"events": {
                "type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "at": TIME, "actor": {"type": "string"}, "action": {"type": "string"},
                    "from_state": {"type": ["string", "null"]}, "to_state": {"type": ["string", "null"]},
                    "data": {"type": "object"}}}},
                "handoffs": {
                    "type": "array", "description": "every assignment with its own clock (逐级转办), oldest first",
                    "items": {"type": "object", "properties": {
                        "at": TIME, "by": {"type": "string"}, "from": {"type": ["string", "null"]},
                        "to": {"type": "string"}, "due_at": NTIME, "extensions": {"type": "integer"},
                        "current": {"type": "boolean"}, "stopped_at": NTIME, "ended_at": NTIME,
                        "end_reason": {"type": ["string", "null"], "enum": ["moved", "returned", "no_clock", None]}}}},
                "likely_duplicate_of": {
                    "type": ["object", "null"], "description": "flagged at ingest: an earlier open ticket with the "
                    "same page or nearly the same words on the same site (mark it with invalidate + duplicate_of)",
                    "properties": {"id": {"type": "integer"}, "platform_id": {"type": "string"},
                                   "reason": {"type": "string", "enum": ["url", "text"]},
                                   "score": {"type": "integer", "description": "percent alike; 100 for the same page"}}},
                "platform_delivery": {
                    "type": ["object", "null"], "description": "the reply's hand-back to the platform, once closed",
                    "properties": {
                        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
                        "attempts": {"type": "integer"}, "last_attempt_at": NTIME, "next_attempt_at": NTIME,
                        "delivered_at": NTIME, "last_status_code": {"type": ["integer", "null"]},
                        "last_error": {"type": ["string", "null"]}}}}}]},
            "Finding": {"type": "object", "properties": {
                "id": {"type": "integer"}, "state": {"type": "string", "enum": list(FINDING_STATES)},
                "unit": UNIT_REF, "site_code": {"type": ["string", "null"]}, "account": {"type": ["string", "null"]},
                "category": {"type": "string", "enum": list(CATEGORIES)}, "category_label": {"type": ["string", "null"]},
                "description": {"type": "string"}, "url": {"type": ["string", "null"]},
                "fix_by": {"type": "string", "format": "date"}, "source": {"type": ["string", "null"]},
                "overdue": {"type": "boolean"}, "ticket_id": {"type": ["integer", "null"]},
                "report": {"type": ["string", "null"]}, "reported_at": NTIME, "accepted_at": NTIME,
                "attachments": {"type": "array", "items": _ref("Attachment")}}},
            "FindingWithEvents": {"allOf": [_ref("Finding"), {"type": "object", "properties": {"events": {
                "type": "array", "items": {"type": "object", "properties": {
                    "at": TIME, "actor": {"type": "string"}, "action": {"type": "string"},
                    "from_state": {"type": ["string", "null"]}, "to_state": {"type": ["string", "null"]},
                    "data": {"type": "object"}}}}}}]},
            "Figures": {"type": "object", "properties": FIGURE_FIELDS},
            "FigureRow": {"allOf": [_ref("Figures"), {"type": "object", "properties": {"unit": {
                "type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                                 "parent_code": {"type": ["string", "null"]}}},
                "region": {"type": "object", "description": "the group head the unit is counted under",
                           "properties": {"code": {"type": "string"}, "name": {"type": "string"}}}}}]},
        },
    },
}
