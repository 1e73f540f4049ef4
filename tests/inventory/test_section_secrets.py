"""`secret:` references in the sections facets bring are resolved while loading, like variables':
a broken one is an input error naming its file, line and field, before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from provisioner.errors import InputError
from provisioner.facets import inventory_sections
from provisioner.inventory.loader import load_inventory

HOOKS = """\
version: 1
defaults:
  webhooks:
    hooks:
      - {url: "https://a.example.com/h", secret: "env:SEC_TEST_TOKEN"}
projects:
  g/one: {}
  g/two:
    webhooks:
      hooks:
        - url: https://b.example.com/h
          secret: file:token.txt
          custom_headers: {Authorization: {secret: "env:SEC_TEST_HEADER"}}
"""


def load(path: Path) -> object:
    return load_inventory(path, sections=inventory_sections(), check_blueprint=lambda *_: [])


def test_references_resolve_into_each_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEC_TEST_TOKEN", "token-from-env-1")
    monkeypatch.setenv("SEC_TEST_HEADER", "header-from-env-2")
    (tmp_path / "token.txt").write_text("token-from-file-3\n")
    (tmp_path / "inventory.yaml").write_text(HOOKS)
    one, two = load(tmp_path / "inventory.yaml").projects  # type: ignore[attr-defined]
    assert {ref: s.reveal() for ref, s in one.secrets.items()} == {"env:SEC_TEST_TOKEN": "token-from-env-1"}
    assert {ref: s.reveal() for ref, s in two.secrets.items()} == {
        "file:token.txt": "token-from-file-3",
        "env:SEC_TEST_HEADER": "header-from-env-2",
    }


def test_a_missing_reference_is_an_input_error_where_it_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEC_TEST_TOKEN", "token-from-env-1")
    monkeypatch.delenv("SEC_TEST_HEADER", raising=False)
    (tmp_path / "inventory.yaml").write_text(HOOKS)
    with pytest.raises(InputError) as caught:
        load(tmp_path / "inventory.yaml")
    found = sorted((p.line, p.field, p.message) for p in caught.value.problems)
    assert found == [
        (
            12,
            "projects.g/two.webhooks.hooks[0].secret",
            "cannot read secret file token.txt: No such file or directory",
        ),
        (
            13,
            "projects.g/two.webhooks.hooks[0].custom_headers.Authorization.secret",
            "environment variable SEC_TEST_HEADER is not set",
        ),
    ]
