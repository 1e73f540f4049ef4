"""How a failed request becomes one of our errors: python-gitlab's and requests' exceptions, by cause
(`raise ... from`), with GitLab's message flattened to one line and scrubbed of secret values."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import gitlab
import requests

from provisioner import secrets
from provisioner.errors import (
    Forbidden,
    GitLabError,
    NotFound,
    RateLimited,
    Rejected,
    ServerError,
    Unauthorized,
    Unreachable,
)


class WriteRedirected(requests.exceptions.RequestException):
    """A write was answered with a redirect, which is not followed: nothing was sent to `target`."""

    def __init__(self, status: int, target: str) -> None:
        super().__init__(f"{status} redirect to {target}")
        self.status = status
        self.target = target


def secret_fields(data: Mapping[str, Any] | None) -> frozenset[str]:
    """The fields of a write that carry a secret value (a variable's value, a token)."""
    return frozenset(k for k, v in (data or {}).items() if isinstance(v, str) and secrets.is_secret(v))


@contextmanager
def mapped(method: str, path: str, secret_fields: frozenset[str] = frozenset()) -> Iterator[None]:
    """`secret_fields`: GitLab's answer may echo their values in a form no scrubbing foresees (cut,
    re-encoded): what it says about them is withheld, and a message it does not tie to a field too."""
    try:
        yield
    except gitlab.exceptions.GitlabAuthenticationError as exc:
        raise Unauthorized(method, path, 401, _message(exc.error_message)) from exc
    except WriteRedirected as exc:
        message = f"redirected to {exc.target}, not followed: a write never follows a redirect"
        raise Rejected(method, path, exc.status, f"{message} (is PROVISIONER_GITLAB_URL right?)") from exc
    except gitlab.exceptions.GitlabHttpError as exc:
        if exc.error_message == "insufficient_scope":
            message = f"insufficient_scope: the token needs the {_body(exc).get('scope') or 'api'} scope"
        else:
            message = _message(exc.error_message, secret_fields)
        raise _by_status(method, path, exc.response_code, message) from exc
    except gitlab.exceptions.GitlabParsingError as exc:
        raise ServerError(method, path, None, "unparsable answer from the server") from exc
    except requests.exceptions.SSLError as exc:
        raise Unreachable(method, path, None, _tls_message(exc)) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise Unreachable(method, path, None, f"no answer ({_why_no_answer(exc)})") from exc


def _why_no_answer(exc: Exception) -> str:
    """The cause in a person's words; requests wraps urllib3 wrapping the socket's error, so it is read
    from the text of the chain."""
    said = repr(exc)
    if "Connection refused" in said:
        return "connection refused"
    if "NameResolutionError" in said or "Name or service not known" in said or "getaddrinfo" in said:
        return "host name not found"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "no connection in time"
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy failed"
    return type(exc).__name__


def _tls_message(exc: requests.exceptions.SSLError) -> str:
    reason = re.search(r"certificate verify failed: ([^(]*[^ (])", str(exc))
    if reason is None:
        return f"TLS handshake failed ({type(exc).__name__})"
    return (
        f"TLS certificate verification failed ({reason[1]}); if this GitLab's certificate comes from "
        "a private CA, set PROVISIONER_CA_BUNDLE to that CA's PEM file"
    )


def _by_status(method: str, path: str, status: int | None, message: str) -> GitLabError:
    kind: type[GitLabError]
    if status == 401:
        kind = Unauthorized
    elif status == 403:
        kind = Forbidden
    elif status == 404:
        kind = NotFound
    elif status == 429:
        kind = RateLimited
    elif status is not None and status >= 500:
        kind = ServerError
    else:
        kind = Rejected
    return kind(method, path, status, message)


def _body(exc: gitlab.exceptions.GitlabHttpError) -> Mapping[str, Any]:
    try:
        body = json.loads(exc.response_body or b"")
    except ValueError:
        return {}
    return body if isinstance(body, Mapping) else {}


_WITHHELD = "(GitLab's message withheld: the request carried a secret value)"


def _message(raw: Any, secret_fields: frozenset[str] = frozenset()) -> str:
    """Flatten GitLab's four error shapes into one line, scrubbed of every secret value the process
    knows; about `secret_fields`, nothing but that GitLab refused them."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if isinstance(raw, Mapping):
        parts = []
        for key, value in raw.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            if key in secret_fields or (secret_fields and key == "error"):
                text = _WITHHELD
            parts.append(text if key == "error" else f"{key} {text}")
        return secrets.redact("; ".join(parts))
    if secret_fields:
        return _WITHHELD
    if isinstance(raw, list):
        return secrets.redact("; ".join(map(str, raw)))
    return secrets.redact(str(raw))
