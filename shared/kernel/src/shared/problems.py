"""RFC 9457 problem details: the one error format, and the exceptions that become it."""

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://copost.dev/problems/"

log = logging.getLogger(__name__)

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class Problem(Exception):
    """An error the client should see; subclasses fix the status and the type slug."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(Problem):
    status = 400
    slug = "bad-request"


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"

    def __init__(self, detail: str = "A valid bearer token is required.") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class AccountGone(Unauthorized):
    """The token is valid but its account was deleted (the gateway may learn of it late)."""

    def __init__(self) -> None:
        super().__init__("The account of this token no longer exists.")


class Forbidden(Problem):
    status = 403
    slug = "forbidden"


class NotFound(Problem):
    status = 404
    slug = "not-found"


class Conflict(Problem):
    status = 409
    slug = "conflict"


class PayloadTooLarge(Problem):
    status = 413
    slug = "payload-too-large"


class UnsupportedMediaType(Problem):
    status = 415
    slug = "unsupported-media-type"


class Unprocessable(Problem):
    status = 422
    slug = "validation-error"


class TooManyRequests(Problem):
    status = 429
    slug = "rate-limited"

    def __init__(self, detail: str, *, retry_after_seconds: int | None) -> None:
        """`retry_after_seconds` None: no Retry-After (it would tell an attacker when to guess)."""
        headers = (
            None
            if retry_after_seconds is None
            else {"Retry-After": str(max(1, retry_after_seconds))}
        )
        super().__init__(detail, headers=headers)


class BadGateway(Problem):
    status = 502
    slug = "bad-gateway"


class ServiceUnavailable(Problem):
    status = 503
    slug = "service-unavailable"


class GatewayTimeout(Problem):
    status = 504
    slug = "gateway-timeout"


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (slug or _slug_for(status)),
        "title": problem_title(status),
        "status": status,
        "detail": detail,
    }
    if errors is not None or status == 422:
        # Every 422 lists what is wrong; empty when it is the request as a whole.
        body["errors"] = errors or []
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_response_for(exc: Problem) -> JSONResponse:
    return problem_response(
        exc.status, exc.detail, slug=exc.slug, errors=exc.errors, headers=exc.headers
    )


def problem_title(status: int) -> str:
    return _TITLES.get(status, "Error")


def _slug_for(status: int) -> str:
    return _TITLES.get(status, "error").lower().replace(" ", "-")


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The client-facing list: where and what, never the submitted value (it may be a password)."""
    return [
        {
            "loc": [str(part) for part in error.get("loc", ())],
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]


# How soon a client may try again after the database was unreachable (a restart, a failover).
DATABASE_RETRY_AFTER_SECONDS = 2


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error a FastAPI app can raise to problem+json, in this one place."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response_for(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(422, "The request is not valid.", errors=validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(ConnectionFailure)
    @app.exception_handler(ExecutionTimeout)
    async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database unreachable or too slow (restarting, failing over, overloaded) is an
        # outage the client may retry, not a bug: 503, as the readiness probe then says too.
        log.warning("database unavailable", extra={"path": request.url.path, "error": repr(exc)})
        return problem_response(
            503,
            "The service cannot reach its database right now; try again shortly.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(500, "Something went wrong on our side.")
