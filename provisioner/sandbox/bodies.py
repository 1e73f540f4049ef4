"""Request bodies as Grape reads them: JSON, form-urlencoded and multipart alike, the form ones (and
the query string) through Rack's nested parameters (`a[]=x`, `a[b]=x`, `actions[][file_path]=...`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from provisioner.sandbox.http import ApiError

_BRACKETS = re.compile(r"\[([^\]]*)\]")


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Grape reads JSON, form-urlencoded and multipart bodies alike; the form ones through Rack's
    nested parameters (`a[]=x`, `a[b]=x`) [G:lib/api/api.rb `content_type :json`, Rack::Multipart]."""
    if not body:
        return {}
    if "multipart/form-data" in content_type:
        return nest(_multipart(content_type, body))
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ApiError(
                400, {"error": "The provided content-type 'application/json' is not valid JSON"}
            ) from exc
        return data if isinstance(data, dict) else {}
    if "x-www-form-urlencoded" in content_type or not content_type:
        return nest(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {}


def _multipart(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The fields of a multipart body, in order; a file part is its text (the sandbox keeps no uploads)."""
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        # Rack's EOFError on a body without its boundary (wording unverified).
        raise ApiError(400, {"error": "bad content body"})
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            fields.append((name, text))
    return fields


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Rack's nested parameters: `a[b]=1`, `list[]=x`, `actions[][file_path]=...`."""
    out: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        keys = [head] + (_BRACKETS.findall("[" + rest) if rest else [])
        _assign(out, keys, value)
    return out


def _assign(target: dict[str, Any], keys: list[str], value: Any) -> None:
    key, rest = keys[0], keys[1:]
    if not rest:
        target[key] = value
    elif rest[0] == "":
        items = target.setdefault(key, [])
        if not isinstance(items, list):
            items = target[key] = []
        if len(rest) == 1:
            items.append(value)
        else:  # an array of hashes: start a new hash when the key repeats
            if not items or not isinstance(items[-1], dict) or rest[1] in items[-1]:
                items.append({})
            _assign(items[-1], rest[1:], value)
    else:
        child = target.setdefault(key, {})
        if not isinstance(child, dict):
            child = target[key] = {}
        _assign(child, rest, value)
