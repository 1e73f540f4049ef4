"""Checks of a merged file before it is committed.

A three-way merge of text knows lines, not YAML or TOML: both sides adding a key to one job, a few lines
apart, merge "cleanly" into a job with the key twice. So every merged result is read as what it is:

- no file may hold a conflict marker (a line starting with seven `<` or `>`);
- `*.yml` / `*.yaml`: YAML without duplicate keys, with YAML 1.1 scalars and the `!reference` tag, as
  GitLab reads it (Psych); `.gitlab-ci.yml` also valid against GitLab's CI/CD JSON schema;
- `*.toml`: TOML that parses.

The schema, `gitlab-ci-schema.json`, is GitLab's own (`app/assets/javascripts/editor/schema/ci.json`,
the one its pipeline editor uses; MIT, see the `.LICENSE` file next to it). GitLab's lint API is the
final word and is not asked: a file the schema accepts may still fail there (an `include:` that does not
resolve), but what it refuses, GitLab refuses too.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import threading
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import SequenceNode

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

PIPELINE = ".gitlab-ci.yml"
SCHEMA_PATH = Path(__file__).with_name("gitlab-ci-schema.json")
_MARKER = re.compile(r"^(?:<{7}|>{7})(?: |$)", re.MULTILINE)
_SHOWN = 160  # characters of a schema message: they quote the offending value, which may be long


def conflict_marker_line(text: str) -> int | None:
    """The 1-based line of the first conflict marker, or None."""
    found = _MARKER.search(text)
    return None if found is None else text.count("\n", 0, found.start()) + 1


def problem_in(path: str, text: str) -> str | None:
    """Why `text` must not be committed as `path`, or None when it passes every check."""
    line = conflict_marker_line(text)
    if line is not None:
        return f"a conflict marker at line {line}"
    if path.endswith((".yml", ".yaml")):
        return _yaml_problem(path, text)
    if path.endswith(".toml"):
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return f"not valid TOML: {exc}"
    return None


def _yaml_problem(path: str, text: str) -> str | None:
    try:
        documents = list(_reader().load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        return f"not valid YAML at line {mark.line + 1}: {exc.problem}" if mark else f"not valid YAML: {exc}"
    except YAMLError as exc:
        return f"not valid YAML: {exc}"
    if not is_pipeline(path) or not documents:
        return None
    from jsonschema.exceptions import best_match  # imported when first needed: 0.1 s off every start

    # A pipeline may start with a header document (`spec: inputs:`), read by the same schema.
    for document in documents:
        if document is None:
            continue
        try:
            config = _plain(document)
        except _TooBig:
            return f"too big or too deep once its aliases are expanded (GitLab refuses it too): over {_MAX_NODES} values or {_MAX_DEPTH} levels"
        error = best_match(_validator().iter_errors(config))
        if error is not None:
            return _schema_message(error)
    return None


def is_pipeline(path: str) -> bool:
    """A project's pipeline, or a CI/CD component (templates/NAME.yml) [G:doc/ci/components/_index.md]."""
    return path == PIPELINE or (path.startswith("templates/") and path.endswith(".yml"))


def _schema_message(error: Any) -> str:
    where = ".".join(str(part) for part in error.absolute_path) or "the top level"
    message = error.message if len(error.message) <= _SHOWN else error.message[:_SHOWN] + "..."
    return f"not valid GitLab CI configuration (GitLab's schema) at {where}: {message}"


# Top-level keys of a pipeline that are not jobs [G:doc/ci/yaml/_index.md, "Global keywords"].
_GLOBAL_KEYWORDS = frozenset(
    {"default", "include", "stages", "variables", "workflow", "spec"}
    | {"image", "services", "cache", "before_script", "after_script"}  # deprecated globals, still read
)


def pipeline_jobs(text: str) -> tuple[str, ...] | None:
    """The names of a pipeline's jobs (hidden `.templates` left out), or None when it does not read."""
    try:
        documents = list(_reader().load_all(text))
    except YAMLError:
        return None
    config = documents[-1] if documents else None
    if not isinstance(config, dict):
        return None
    return tuple(str(k) for k in config if str(k) not in _GLOBAL_KEYWORDS and not str(k).startswith("."))


class _GitLabConstructor(SafeConstructor):
    """Safe YAML plus GitLab's one custom tag (`!reference [job, key]`), kept as its list."""


def _reference(constructor: SafeConstructor, node: SequenceNode) -> list[Any]:
    return constructor.construct_sequence(node, deep=True)  # type: ignore[no-any-return]


_GitLabConstructor.add_constructor("!reference", _reference)

# A YAML instance per thread: not safe to share, and costly to make (it searches for plug-ins).
_per_thread = threading.local()


def _reader() -> YAML:
    yaml: YAML | None = getattr(_per_thread, "reader", None)
    if yaml is None:
        yaml = YAML(typ="safe", pure=True)
        yaml.Constructor = _GitLabConstructor
        yaml.version = (1, 1)  # GitLab's parser (Psych) reads YAML 1.1: `on`, `yes` are booleans
        yaml.allow_duplicate_keys = False
        _per_thread.reader = yaml
    return yaml


@functools.cache
def _validator() -> Draft7Validator:
    """Built once per process, on the first pipeline merge (most runs merge nothing)."""
    from jsonschema import Draft7Validator

    return Draft7Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


class _TooBig(Exception):
    pass


# GitLab refuses a configuration deeper than 100 levels or bigger than 1 MB once parsed, aliases expanded
# [G:lib/gitlab/config/loader/yaml.rb, MAX_YAML_DEPTH, DeepSize]; this counts nodes instead of bytes.
_MAX_DEPTH = 100
_MAX_NODES = 100_000


def _plain(value: Any) -> Any:
    """A copy for the validator: aliases expanded, within limits (a few aliases nested can stand for
    billions of nodes), dates as the strings GitLab takes them for (JSON Schema knows no date type)."""
    budget = [_MAX_NODES]

    def copy(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > _MAX_DEPTH:
            raise _TooBig
        if isinstance(node, dict):
            return {str(k): copy(v, depth + 1) for k, v in node.items()}
        if isinstance(node, list):
            return [copy(v, depth + 1) for v in node]
        if isinstance(node, datetime.date | datetime.datetime):
            return node.isoformat()
        return node

    return copy(value, 0)
