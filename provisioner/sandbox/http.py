"""HTTP plumbing shared by every route: parameters with Grape-like coercion, GitLab's error shapes
(REFERENCE 1.3), JSON responses and offset/keyset pagination (REFERENCE 1.6)."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import Response

T = TypeVar("T")
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
MISSING: Any = object()


class ApiError(Exception):
    """An answer other than success; raised anywhere below a handler, rendered by the app."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(self.body, self.status, self.headers)


# -- the error shapes of REFERENCE 1.3 ---------------------------------------------------------
def not_found(what: str = "") -> ApiError:
    return ApiError(404, {"message": f"404 {what} Not Found" if what else "404 Not Found"})


def forbidden(reason: str = "") -> ApiError:
    return ApiError(403, {"message": f"403 Forbidden - {reason}" if reason else "403 Forbidden"})


def bad_request(reason: str) -> ApiError:
    return ApiError(400, {"message": f"400 Bad request - {reason}"})


def unauthorized() -> ApiError:
    return ApiError(401, {"message": "401 Unauthorized"})


def message(text: Any, status: int) -> ApiError:
    """`render_api_error!(msg, status)`: free text, an array or a hash under `message`."""
    return ApiError(status, {"message": text})


def validation(errors: Mapping[str, list[str]], status: int = 400) -> ApiError:
    return ApiError(status, {"message": dict(errors)})


def param_error(text: str) -> ApiError:
    """Grape's parameter validation: `{"error": "..."}`."""
    return ApiError(400, {"error": text})


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = b"" if data is None else json.dumps(data, separators=(",", ":")).encode()
    return Response(body, status, headers=dict(headers or {}), media_type="application/json")


def no_content() -> Response:
    return Response(b"", 204)


# -- parameters ----------------------------------------------------------------------------------
class Params:
    """Declared parameters only: a handler asks for what it knows, the rest is silently ignored."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def raw(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def require(self, *names: str) -> None:
        missing = [n for n in names if n not in self.values or self.values[n] is None]
        if missing:
            raise param_error(", ".join(f"{n} is missing" for n in missing))

    def at_least_one_of(self, names: Sequence[str]) -> None:
        if not any(n in self.values for n in names):
            raise param_error(f"{', '.join(names)} are missing, at least one parameter must be provided")

    def str(self, name: builtins.str, default: Any = None) -> Any:
        value = self.values.get(name, MISSING)
        if value is MISSING or value is None:
            return default
        if isinstance(value, (dict, list)):
            raise param_error(f"{name} is invalid")
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: builtins.str, default: Any = None) -> Any:
        value = self.values.get(name, MISSING)
        if value is MISSING or value is None:
            return default
        if isinstance(value, bool):
            raise param_error(f"{name} is invalid")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        raise param_error(f"{name} is invalid")

    def bool(self, name: builtins.str, default: Any = None) -> Any:
        value = self.values.get(name, MISSING)
        if value is MISSING or value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise param_error(f"{name} is invalid")

    def enum(self, name: builtins.str, allowed: Sequence[builtins.str], default: Any = None) -> Any:
        value = self.str(name, MISSING)
        if value is MISSING:
            return default
        if value not in allowed:
            # Grape's default wording (REFERENCE 1.5 marks it unverified against GitLab).
            raise param_error(f"{name} does not have a valid value")
        return value

    def list(self, name: builtins.str, default: Any = None) -> Any:
        """An array, as `x[]=a&x[]=b`, a JSON array or a comma-separated string."""
        value = self.values.get(name, MISSING)
        if value is MISSING or value is None:
            return default
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return [part.strip() for part in str(value).split(",") if part.strip()]

    def hash(self, name: builtins.str) -> dict[builtins.str, Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise param_error(f"{name} is invalid")
        return value


# -- pagination ----------------------------------------------------------------------------------
TOTALS_LIMIT = 10_000
OFFSET_LIMIT = 50_000


def paginate(
    request: Request,
    params: Params,
    items: Sequence[T],
    render: Callable[[T], Any],
    *,
    keyset_type: str | None = None,
) -> Response:
    """Offset pagination with GitLab's headers. `keyset_type` names types whose offset is capped."""
    page = max(1, params.int("page", 1))
    per_page = params.int("per_page", 20)
    per_page = 20 if per_page < 1 else min(per_page, 100)
    if keyset_type and (page - 1) * per_page > OFFSET_LIMIT:
        raise ApiError(
            405,
            {
                "error": f"Offset pagination has a maximum allowed offset of {OFFSET_LIMIT} for requests "
                f"that "
                f"return objects of type {keyset_type}. Remaining records can be retrieved using keyset "
                "pagination."
            },
        )
    total = len(items)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    pages = max(1, -(-total // per_page))
    has_next = start + per_page < total
    headers = {
        "X-Page": str(page),
        "X-Per-Page": str(per_page),
        "X-Next-Page": str(page + 1) if has_next else "",
        "X-Prev-Page": str(page - 1) if page > 1 else "",
    }
    links = []
    if page > 1:
        links.append(f'<{page_url(request, page=page - 1, per_page=per_page)}>; rel="prev"')
    if has_next:
        links.append(f'<{page_url(request, page=page + 1, per_page=per_page)}>; rel="next"')
    links.append(f'<{page_url(request, page=1, per_page=per_page)}>; rel="first"')
    if total <= TOTALS_LIMIT:
        headers["X-Total"] = str(total)
        headers["X-Total-Pages"] = str(pages)
        links.append(f'<{page_url(request, page=pages, per_page=per_page)}>; rel="last"')
    headers["Link"] = ", ".join(links)
    return json_response([render(item) for item in chunk], headers=headers)


def keyset(
    request: Request,
    params: Params,
    items: Sequence[T],
    render: Callable[[T], Any],
    key: Callable[[T], int],
    *,
    descending: bool,
) -> Response:
    """Keyset pagination by id (`pagination=keyset&order_by=id`): only a `rel="next"` Link, no totals.

    `items` are already filtered by the cursor (`id_after`/`id_before`) and sorted."""
    per_page = params.int("per_page", 20)
    per_page = 20 if per_page < 1 else min(per_page, 100)
    chunk = list(items[:per_page])
    headers: dict[str, str] = {"X-Per-Page": str(per_page)}
    if len(chunk) == per_page:
        cursor = "id_before" if descending else "id_after"
        url = page_url(request, drop=("id_after", "id_before", "page"), **{cursor: key(chunk[-1])})
        headers["Link"] = f'<{url}>; rel="next"'
    return json_response([render(item) for item in chunk], headers=headers)


def page_url(request: Request, drop: Sequence[str] = (), **changes: Any) -> str:
    """The request's own URL (scheme, host and port as the client sent them) with some query changes."""
    query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k not in changes]
    query = [(k, v) for k, v in query if k not in drop]
    query.extend((k, str(v)) for k, v in changes.items())
    return f"{own_url(request)}?{urlencode(query)}"


def origin(request: Request) -> str:
    """`scheme://host:port` as the client addressed the server; the base of every URL we render."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", 80)
        host = f"{server[0]}:{server[1]}"
    scheme = str(request.scope.get("scheme", "http"))
    return f"{scheme}://{host}"


def own_url(request: Request) -> str:
    """Scheme, host and port as the client sent them, and the raw path, so `%2F` stays encoded."""
    raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
    return origin(request) + raw_path.decode("latin-1")
