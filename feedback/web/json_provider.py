"""JSON out through orjson, with Flask's own rules (sorted keys; dates, Decimals and dataclasses
converted as Flask's default provider converts them): the metrics API answers a province's
thousands of unit rows, and encoding them is a large part of its time with the standard encoder.

Reading stays the standard library's: what a request may send (and the errors it gets) is
unchanged. Pretty-printed output (debug mode) goes through the standard encoder too.
"""
from __future__ import annotations

import typing as t

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

# Hand these to `default` (Flask's conversions) instead of orjson's own formats; allow int keys.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


class FastJSONProvider(DefaultJSONProvider):
    def dumps(self, obj: t.Any, **kwargs: t.Any) -> str:
        if kwargs.get("indent") is not None or kwargs.get("cls") is not None:
            return super().dumps(obj, **kwargs)
        sort_keys = kwargs.get("sort_keys", self.sort_keys)
        default = kwargs.get("default", self.default)
        return self._bytes(obj, sort_keys, default).decode()

    def response(self, *args: t.Any, **kwargs: t.Any) -> Response:
        """As Flask's: the document and a newline, compact unless debugging; the bytes go out as
        orjson writes them (no str round trip for a body of megabytes)."""
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        body = self._bytes(obj, self.sort_keys, self.default, orjson.OPT_APPEND_NEWLINE)
        return self._app.response_class(body, mimetype=self.mimetype)

    @staticmethod
    def _bytes(obj: t.Any, sort_keys: bool, default, extra: int = 0) -> bytes:
        options = OPTIONS | extra | (orjson.OPT_SORT_KEYS if sort_keys else 0)
        return orjson.dumps(obj, default=default, option=options)
