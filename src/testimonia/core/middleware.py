from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponseBase, JsonResponse

API_PREFIX = "/api/"
ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}


class ApiErrorShapeMiddleware:
    """Guarantee the one JSON error shape for every API error response.

    Errors raised inside the API already have it (see testimonia/api.py); this catches the
    ones produced around it (ninja's 405, Django's CSRF failure, a 413 from the server), so a
    client never has to parse anything else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or _is_error_shape(response)
        ):
            return response
        status = response.status_code
        message = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        shaped = JsonResponse(
            {"error": {"code": ERROR_CODES.get(status, "error"), "message": message + "."}},
            status=status,
        )
        if response.has_header("Allow"):
            shaped["Allow"] = response["Allow"]
        return shaped


def _is_error_shape(response: HttpResponseBase) -> bool:
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(getattr(response, "content", b""))
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)
