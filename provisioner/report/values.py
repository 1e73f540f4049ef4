"""Values as a person would write them in the inventory: YAML, on one line, never Python's repr.

`'^v\\d+'` in the inventory reads `^v\\d+` here (one backslash), `None` reads `null`, `True` reads `true`,
a list reads `[docker, linux]`. A string is quoted only where YAML would read it as something else (a
number, a boolean, a date, a flow collection), so that what is shown can be pasted back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from provisioner.model import SENSITIVE

# Plain scalars that YAML 1.1 or 1.2 would not read back as the same string (ruamel reads 1.2, editors
# and PyYAML 1.1): booleans, null, numbers (with signs, exponents, octal, hex, sexagesimal), dates.
_NOT_A_STRING = re.compile(
    r"""(?ix)
    ~ | null | y | n | yes | no | on | off | true | false
    | [-+]?(\d[\d_]*)?\.?\d[\d_]*(e[-+]?\d+)? | [-+]?\.(inf|nan) | 0x[0-9a-f_]+ | 0o?[0-7_]+
    | [-+]?\d[\d_]*(:[0-5]?\d)+(\.\d*)? | \d{4}-\d\d?-\d\d?([Tt ].*)?
    """
)
_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")


def _needs_quotes(text: str) -> bool:
    if not text or text != text.strip() or _NOT_A_STRING.fullmatch(text):
        return True
    if text[0] in _INDICATORS and not (text[0] in "-?:" and len(text) > 1 and text[1] != " "):
        return True
    return ": " in text or " #" in text or text.endswith(":") or any(c in text for c in ",[]{}")


def _string(text: str) -> str:
    if text == SENSITIVE:
        return text
    if any(ord(c) < 32 or c == "\x7f" for c in text):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: _ESCAPES.get(m[0], f"\\x{ord(m[0]):02x}"), escaped)
        return f'"{escaped}"'
    if _needs_quotes(text):
        return "'" + text.replace("'", "''") + "'"
    return text


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def yaml_value(value: Any) -> str:
    """One value as YAML flow text."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{yaml_value(str(k))}: {yaml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return "[" + ", ".join(yaml_value(v) for v in items) + "]"
    return _string(str(value))
