from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from provisioner import secrets
from provisioner.model import SENSITIVE


def test_secret_never_formats_its_value():
    s = secrets.Secret("hunter2-hunter2", "env:X")
    assert str(s) == repr(s) == f"{s}" == f"{s!r}" == SENSITIVE
    assert "hunter2" not in repr({"v": s}) and "hunter2" not in repr([s])
    with pytest.raises(TypeError):
        pickle.dumps(s)


def test_resolve_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PROV_TEST_SECRET", "from-env-value")
    assert secrets.resolve("env:PROV_TEST_SECRET", tmp_path).reveal() == "from-env-value"
    (tmp_path / "s.txt").write_text("from-file-value\n")
    assert secrets.resolve("file:s.txt", tmp_path).reveal() == "from-file-value"


@pytest.mark.parametrize("ref", ["env:NOPE_NOT_SET_XYZ", "file:missing.txt", "vault:x", "keyring:noslash"])
def test_unresolvable_references_name_the_reference_only(ref: str, tmp_path: Path):
    with pytest.raises(secrets.SecretLookupError):
        secrets.resolve(ref, tmp_path)


def test_redact_scrubs_remembered_values_longest_first():
    secrets.remember("abcd-secret")
    secrets.remember("abcd-secret-longer")
    assert secrets.redact("x abcd-secret-longer y abcd-secret z") == f"x {SENSITIVE} y {SENSITIVE} z"
    secrets.remember("abc")  # too short to scrub without mangling ordinary text
    assert secrets.redact("abc") == "abc"


def test_no_report_format_shows_a_remembered_secret_in_any_encoding():
    """The last line of defence, for every format: text (coloured too), JSON, JUnit, HTML (escaped)."""
    from provisioner.model import Action, Change, Problem, ProjectResult, RunResult
    from provisioner.report import html_report, json_report, junit, text

    value = "tok&<en>-\"9f3a'c2e1"
    secrets.remember(value)
    leaky = Change(
        "variables", "variable K", Action.UPDATE, {"value": value}, {"value": value}, f"-{value}\n+x\n"
    )
    problem = Problem("a/b", "variables", f"GitLab said {value}")
    for mode in ("plan", "apply", "check"):
        run = RunResult(
            mode, (ProjectResult("a/b", planned=(leaky,), applied=(leaky,), problems=(problem,)),)
        )
        outputs = [
            text.render(run),
            text.render(run, colour=True),
            json_report.render(run),
            junit.render(run),
        ]
        outputs.append(html_report.render(run))
        for output in outputs:
            assert "tok&" not in output and "tok&amp;" not in output and "9f3a" not in output
            assert SENSITIVE in output


TRICKY = 'pässwörd-"quoted"-\\back\\slash-<&>/€'


def _bodies(value: str) -> dict[str, str]:
    import base64
    import json
    from urllib.parse import quote, quote_plus

    raw = value.encode()
    return {
        "json": json.dumps({"message": {"value": [value]}}, ensure_ascii=False),
        "json-ascii": json.dumps({"value": value}),
        "json-rails": json.dumps({"value": value}, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026"),
        "json-slash": json.dumps({"value": value}).replace("/", "\\/"),
        "json-upper-hex": re.sub(
            r"\\u[0-9a-f]{4}", lambda m: m[0].upper().replace("U", "u"), json.dumps(value)
        ),
        "url": f"value={quote(value, safe='')}&key=K",
        "url-plus": f"value={quote_plus(value)}&key=K",
        "url-lower-hex": f"value={quote(value, safe='').lower()}",
        "base64": base64.b64encode(raw).decode(),
        "base64-urlsafe": base64.urlsafe_b64encode(raw).decode(),
        "base64-in-basic-auth": base64.b64encode(b"user:" + raw).decode(),
        "base64-shifted": base64.b64encode(b"ab" + raw + b"tail").decode(),
    }


@pytest.mark.parametrize("form", list(_bodies(TRICKY)))
def test_redact_scrubs_every_form_a_value_takes_in_a_body(form: str) -> None:
    import base64

    secrets.remember(TRICKY)
    body = _bodies(TRICKY)[form]
    scrubbed = secrets.redact(body)
    assert SENSITIVE in scrubbed, (form, scrubbed)
    assert (
        "pässwörd" not in scrubbed
        and "p\\u00e4ssw" not in scrubbed.lower()
        and "%c3%a4" not in scrubbed.lower()
    )
    if form.startswith("base64"):
        # what is left of the encoded stream no longer decodes to any 8 bytes of the value
        core = base64.b64encode(TRICKY.encode()).decode()[2:-4]
        assert core[:12] not in scrubbed and core[-12:] not in scrubbed


def test_an_ordinary_text_is_left_alone_by_the_encodings_of_a_short_secret() -> None:
    secrets.remember("ab1+")
    assert secrets.redact("ab1%2B ab1+ the build took 12 minutes, ab1 twice") == (
        f"{SENSITIVE} {SENSITIVE} the build took 12 minutes, ab1 twice"
    )
