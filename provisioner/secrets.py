"""Secret values: resolved from references, held in memory only, never shown.

A `Secret` prints as `(sensitive)` however it is formatted. Every secret value the process learns
(resolved references, runner and deploy tokens GitLab hands out, the API token) is also remembered
by the `redact` registry, which the log handlers and report writers apply as a last line of defence.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

from provisioner.model import SENSITIVE
from provisioner.scrubber import Scrubber

_MIN_REDACTED_LENGTH = 4  # shorter strings are too common to scrub from text without mangling it


class SecretLookupError(Exception):
    """A reference that cannot be resolved. The message names the reference, never a value."""


class SecretNotHere(SecretLookupError):
    """A well-formed reference whose value this machine does not have (an unset environment variable,
    no keyring entry or keyring, no such file): a read-only run may go on without it. Everything else
    (a malformed reference, a file outside the allowed folders or not text) is wrong wherever it runs."""


class Unresolved:
    """A secret this run was not given (a read-only run needs none): its reference and why, no value.
    Whatever uses it compares everything but the value, and says the value was not verified."""

    __slots__ = ("reason", "ref")

    def __init__(self, ref: str, reason: str) -> None:
        self.ref = ref
        self.reason = reason  # display-safe: names the reference, never a value

    def __repr__(self) -> str:
        return SENSITIVE

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unresolved) and other.ref == self.ref

    def __hash__(self) -> int:
        return hash(("unresolved", self.ref))


class Secret:
    __slots__ = ("_value", "ref")

    def __init__(self, value: str, ref: str = "") -> None:
        self._value = value
        self.ref = ref  # the reference it came from ("env:PYPI_TOKEN"): safe to show
        remember(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return SENSITIVE

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return SENSITIVE

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("secret", self.ref))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


_REFERENCE = re.compile(r"^(env|keyring|file):(.+)$")


def parse_reference(ref: str) -> tuple[str, str]:
    """Split `env:NAME`, `keyring:SERVICE/NAME` or `file:PATH`; raise SecretLookupError when malformed."""
    match = _REFERENCE.match(ref)
    if not match:
        raise SecretLookupError(
            f"secret reference {ref!r} must be env:NAME, keyring:SERVICE/NAME or file:PATH"
        )
    scheme, rest = match.groups()
    if scheme == "keyring" and ("/" not in rest or rest.startswith("/") or rest.endswith("/")):
        raise SecretLookupError(f"keyring reference {ref!r} must be keyring:SERVICE/NAME")
    return scheme, rest


def resolve(ref: str, base_dir: Path) -> Secret:
    """Resolve a reference now. Files are relative to the inventory file that names them."""
    scheme, rest = parse_reference(ref)
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None:
            raise SecretNotHere(f"environment variable {rest} is not set")
    elif scheme == "file":
        value = _read_file(base_dir / rest, rest)
    else:
        service, _, name = rest.partition("/")  # the name may contain slashes (project paths)
        value = _keyring_get(service, name)
    if len(value) < _MIN_REDACTED_LENGTH:
        # Refused rather than held: it could not be scrubbed from output, so it might be shown.
        raise SecretLookupError(
            f"the value of {ref} has fewer than {_MIN_REDACTED_LENGTH} characters: too short to be "
            "kept out of logs and reports; use a longer secret, or `value:` if it is not one"
        )
    return Secret(value, ref)


_MAX_FILE_BYTES = 1 << 20  # far above any CI variable's value; a bound on what a reference can pull in


def _read_file(path: Path, shown: str) -> str:
    """A secret file's text without its final newlines. `~` is not expanded (the inventory's loader
    keeps the path inside the allowed folders); a FIFO or device is refused, never read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise SecretNotHere(f"cannot read secret file {shown}: {exc.strerror}") from None
    except OSError as exc:
        raise SecretLookupError(f"cannot read secret file {shown}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SecretLookupError(f"secret file {shown} is not a regular file")
        raw = handle.read(_MAX_FILE_BYTES + 1)
    if len(raw) > _MAX_FILE_BYTES:
        raise SecretLookupError(f"secret file {shown} is larger than {_MAX_FILE_BYTES // 1024} KiB")
    try:
        return raw.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError as exc:
        raise SecretLookupError(
            f"secret file {shown} is not UTF-8 text (byte {exc.start + 1} is not): a CI variable holds "
            "text; encode a binary secret first (base64) and decode it in the job"
        ) from None


def _keyring_get(service: str, name: str) -> str:
    import keyring
    from keyring.errors import KeyringError

    try:
        value = keyring.get_password(service, name)
    except KeyringError as exc:
        raise SecretNotHere(
            f"keyring unavailable ({type(exc).__name__}); cannot read {service}/{name}"
        ) from None
    if value is None:
        raise SecretNotHere(f"no keyring entry for service {service!r}, name {name!r}")
    return value


# -- the redaction registry ----------------------------------------------------------------------
# Every form of every secret the process learns, in a `Scrubber` (see provisioner/scrubber.py for why
# it is not one compiled pattern: a run that creates a token per project learns tens of thousands).
_values: set[str] = set()  # the secret values themselves
_scrubber = Scrubber()
_lock = threading.Lock()


def remember(value: str) -> None:
    """Register a secret value so that `redact` scrubs it, and every form it takes in a body, from any
    text (see `encodings`)."""
    if len(value) < _MIN_REDACTED_LENGTH:
        return
    with _lock:
        if value in _values:
            return
        _values.add(value)
    _scrubber.add(encodings(value))


def is_secret(value: str) -> bool:
    """Whether `value` is a secret value the process knows (to withhold GitLab's answers about it)."""
    with _lock:
        return value in _values


def encodings(value: str) -> set[str]:
    """The forms `value` takes in what a server echoes back: as is; JSON-escaped (`"`, `\\`, control
    and non-ASCII characters; Rails also escapes `<>&` and some encoders `/`); URL-encoded (either
    case of hex); base64, standard and URL-safe, alone or inside a longer stream at any of the three
    alignments (the characters that depend only on the value's own bits)."""
    forms = {value}
    for ascii_only in (False, True):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        rails = escaped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        for form in (escaped, rails):
            forms |= {
                form,
                form.replace("/", "\\/"),
                _UNICODE_ESCAPE.sub(lambda m: "\\u" + m[0][2:].upper(), form),
            }
    for quoted in (quote(value, safe=""), quote(value), quote_plus(value)):
        forms |= {quoted, _PERCENT_ESCAPE.sub(lambda m: m[0].lower(), quoted)}
    forms |= _base64_forms(value.encode("utf-8"))
    return {form for form in forms if len(form) >= _MIN_REDACTED_LENGTH}


_UNICODE_ESCAPE = re.compile(r"\\u[0-9a-f]{4}")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-F]{2}")
_MIN_BASE64_CORE = 8  # shorter runs of base64 characters are too common to scrub


def _base64_forms(raw: bytes) -> set[str]:
    """At each of the three alignments in a stream, the characters made of the value's bits alone
    (the value encoded on its own is the first; at most its last character, 2 to 4 bits, is left)."""
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        core = encoded[-(-8 * shift // 6) : 8 * (shift + len(raw)) // 6]
        if len(core) >= _MIN_BASE64_CORE:
            forms |= {core, core.replace("+", "-").replace("/", "_")}
    return forms


def redact(text: str) -> str:
    """Replace every remembered secret value in `text`, in any of its forms, by `(sensitive)`."""
    return _scrubber.scrub(text, SENSITIVE)
