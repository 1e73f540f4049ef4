"""The lock file's bytes: the same lock always gives the same bytes, whichever way they are written
(a different encoding of the same lock would be a needless commit in every project)."""

from __future__ import annotations

import pytest

from provisioner.blueprint import render
from provisioner.blueprint.lock import Lock, LockedFile, parse_lock

VARIANTS = [
    {"distribution_name": "billing"},
    {"distribution_name": "data-tools", "build_backend": "setuptools", "signing": "off"},
    {"distribution_name": "x", "python_versions": ["3.12"], "runner_tags": ["docker", "linux"]},
]
# Texts that YAML cannot write as a plain `|` block: ruamel decides how they look, and each must read
# back as it was (a lost \r would change the base of the next merge; a control character would make
# the whole lock unreadable).
AWKWARD = [
    "no final line break",
    "two final line breaks\n\n",
    "  indented first line\n",
    "\nleading blank line\n",
    "trailing space \nhere\n",
    "a\ttab\n",
    "non-ASCII: café\n",
    "carriage\r\nreturn\n",
    "next line\x85and line separator\u2028\n",
    "a bell\x07 and a BOM\ufeff\n",
    "",
]


def _lock(bases: dict[str, str | None]) -> Lock:
    files = {
        path: LockedFile("managed" if base is not None else "seed", "a" * 64, "b" * 64, base)
        for path, base in bases.items()
    }
    return Lock("python-package", "1.1.0", {"distribution_name": "billing", "n": 3, "tags": ["a"]}, files)


@pytest.mark.parametrize("variables", VARIANTS, ids=lambda v: v["distribution_name"])
def test_a_rendered_lock_is_written_as_ruamel_writes_it(variables: dict[str, object]) -> None:
    rendering = render("python-package", variables, project_path=f"team/{variables['distribution_name']}")
    bases = {f.path: f.text if f.policy == "managed" else None for f in rendering.files}
    lock = _lock(bases)
    fast, slow = lock.to_text(), lock.to_text(fast=False)
    assert fast == slow
    assert "provisioner-base-" not in fast  # every base was spliced in, not left as a marker
    assert parse_lock(fast) == lock


@pytest.mark.parametrize("base", AWKWARD, ids=repr)
def test_a_base_yaml_cannot_write_as_a_plain_block_is_left_to_ruamel(base: str) -> None:
    lock = _lock({".gitlab-ci.yml": "stages: [test]\n", "odd.txt": base})
    text = lock.to_text()
    assert text == lock.to_text(fast=False)
    assert parse_lock(text).files["odd.txt"].base == base
