"""A logging filter that keeps request paths out of the log.

Paths carry what people type: a witness's name put into a URL by mistake, a search, an id
from another workspace. Django's own loggers write the path of every client error ("Not
Found: /w/x/witnesses/<name>/") and of server errors. This filter replaces the path (and the
full path with its query) in any record that carries its request by "[path withheld]",
keeping the status and the view's name, so that the log still says what failed where.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

WITHHELD = "[path withheld]"


def _route_of(request: Any) -> str:
    match = getattr(request, "resolver_match", None)
    name = getattr(match, "view_name", "") if match is not None else ""
    return f"{WITHHELD} (view {name})" if name else WITHHELD


class WithholdRequestPath(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is None:
            return True
        paths = {
            str(value)
            for value in (getattr(request, "path", None), getattr(request, "path_info", None))
            if value
        }
        # A malformed request must not stop the logging of its error.
        with contextlib.suppress(Exception):
            paths.add(request.get_full_path())
        shown = _route_of(request)
        if isinstance(record.args, tuple):
            record.args = tuple(shown if str(a) in paths else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: shown if str(v) in paths else v for k, v in record.args.items()}
        message = str(record.msg)
        for path in sorted(paths, key=len, reverse=True):
            message = message.replace(path, shown)
        record.msg = message
        return True
