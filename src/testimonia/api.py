"""The JSON API: django-ninja under /api/v1/, one error shape for every error.

Every error body is ``{"error": {"code": str, "message": str, ...}}``; validation errors add
``details`` (a list of ``{loc, msg}``) and server errors an ``error_id`` found in the log.
"""

import logging
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from testimonia.accounts.api import router as accounts_router
from testimonia.accounts.api_auth import API_AUTH, api_public
from testimonia.cases.api_cases import router as cases_router
from testimonia.cases.api_redaction import router as redaction_router
from testimonia.cases.api_witnesses import router as witnesses_router
from testimonia.core.middleware import ERROR_CODES
from testimonia.evidence.api import router as evidence_router
from testimonia.evidence.api_preservation import router as preservation_router
from testimonia.incidents.api import router as documentation_router
from testimonia.incidents.api_import import router as import_router
from testimonia.incidents.api_search import router as search_router
from testimonia.jobs.api import router as jobs_router
from testimonia.legal.api import router as legal_router
from testimonia.legal.api_qualification import router as qualification_router
from testimonia.roadmap.api import router as roadmap_router

logger = logging.getLogger("testimonia.api")

api = NinjaAPI(
    title="Testimonia API",
    version="1",
    description="Evidence, documentation and case building for accountability.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=API_AUTH,
    # The schema and its docs page describe the API, not its data: public.
    docs_decorator=api_public,
)


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = ERROR_CODES.get(exc.status_code, "error")
    return api.create_response(request, error_body(code, str(exc)), status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, error_body("not_found", "No such resource."), status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(
        request, error_body("forbidden", "Your role does not allow this."), status=403
    )


@api.exception_handler(AuthenticationError)
def auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        error_body(
            "unauthorized", "Authentication required: send 'Authorization: Bearer <token>'."
        ),
        status=401,
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = [
        {"loc": [str(part) for part in err.get("loc", [])], "msg": str(err.get("msg", ""))}
        for err in exc.errors
    ]
    return api.create_response(
        request,
        error_body("validation_error", "The request did not validate.", details=details),
        status=422,
    )


@api.exception_handler(Exception)
def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    error_id = uuid.uuid4().hex[:12]
    logger.exception("API server error %s on %s %s", error_id, request.method, request.path)
    return api.create_response(
        request, error_body("server_error", "Internal error.", error_id=error_id), status=500
    )


api.add_router("/", accounts_router)
api.add_router("/", evidence_router)
api.add_router("/", preservation_router)
api.add_router("/", search_router)
api.add_router("/", documentation_router)
api.add_router("/", import_router)
api.add_router("/", jobs_router)
api.add_router("/", legal_router)
api.add_router("/", qualification_router)
api.add_router("/", witnesses_router)
api.add_router("/", redaction_router)
api.add_router("/", cases_router)
api.add_router("/", roadmap_router)
