"""Cross-origin access for the web client, with refusals in the one error format."""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from shared.problems import problem_response

ALLOWED_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
EXPOSED_HEADERS = ["Location", "Retry-After", "X-Request-ID"]


class ProblemCorsMiddleware(CORSMiddleware):
    """Starlette's CORS handling, except that a refused preflight is problem+json too."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        kept = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        return problem_response(response.status_code, bytes(response.body).decode(), headers=kept)
