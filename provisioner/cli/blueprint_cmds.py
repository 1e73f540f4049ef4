"""`provisioner blueprint list|render`: look at blueprints and preview them locally, without GitLab.

`render` goes through the same decisions as the files facet, with a folder in place of a repository: into
an empty folder it writes the whole blueprint; into a checkout it keeps seed files, enforces only the
tool-owned keys of TOML files, and merges blueprint updates into managed files that the team edited.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from provisioner import safe_files
from provisioner.blueprint import (
    LOCK_PATH,
    FileAction,
    contents_needed,
    list_blueprints,
    load_blueprint,
    paths_to_observe,
    plan_files,
    read_lock,
    render,
    sha256_text,
)
from provisioner.confine import Roots
from provisioner.errors import InputError, InputProblem, OutputError, ProvisionerError

app = typer.Typer(name="blueprint", help="List blueprints and render them locally.", no_args_is_help=True)

_SOURCE = "--var"


@app.command("list")
def list_command() -> None:
    """Show each blueprint with its version and variables."""
    try:
        blueprints = list_blueprints()
    except ProvisionerError as exc:
        _fail(exc)
    for blueprint in blueprints:
        manifest = blueprint.manifest
        typer.echo(f"{manifest.name} {manifest.version}")
        typer.echo(f"  {manifest.description}")
        for name, var in manifest.variables.items():
            if var.derive is not None:
                default = f"derived: {var.derive}"
            elif var.required:
                default = "required"
            else:
                default = f"default: {var.default!r}"
            typer.echo(f"  {name} ({var.type}; {default})")
            typer.echo(f"      {var.description}")


@app.command("render")
def render_command(
    name: Annotated[str, typer.Argument(help="The blueprint (see `provisioner blueprint list`).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write into: empty, or a checkout to update.")],
    var: Annotated[
        list[str] | None,
        typer.Option("--var", help="NAME=VALUE; values are YAML (--var 'python_versions=[\"3.12\"]')."),
    ] = None,
    project: Annotated[
        str | None, typer.Option("--project", help="GitLab project path, for defaults derived from it.")
    ] = None,
) -> None:
    """Render a blueprint into a folder, the way apply would commit it."""
    try:
        conflicts = _render_into(name, _parse_vars(name, var or []), out, project)
    except ProvisionerError as exc:
        _fail(exc)
    if conflicts:
        typer.echo(f"conflicts (resolve the markers): {', '.join(conflicts)}", err=True)
        raise typer.Exit(1)


def _render_into(name: str, variables: dict[str, Any], out: Path, project: str | None) -> list[str]:
    rendering = render(name, variables, project_path=project, source=_SOURCE)
    inside = Roots((Path(os.path.realpath(out)),))
    for path in paths_to_observe(rendering):
        if not inside.contains(out / path):  # a link in the checkout pointing elsewhere: never followed
            raise OutputError(f"refusing to read or write {out / path}: a symbolic link leads out of {out}")
    texts = {
        p: (out / p).read_text(encoding="utf-8") for p in paths_to_observe(rendering) if (out / p).is_file()
    }
    hashes = {p: sha256_text(texts[p]) if p in texts else None for p in paths_to_observe(rendering)}
    lock = read_lock(texts.get(LOCK_PATH))
    needed = contents_needed(rendering, lock, hashes)
    plan = plan_files(rendering, lock, hashes, {p: texts[p] for p in needed})
    for decision in plan.files:
        verb = "keep" if decision.action is FileAction.NONE else decision.action.value
        typer.echo(f"{verb:8} {decision.path}: {decision.reason}")
        if decision.content is not None:
            safe_files.write_text(out / decision.path, decision.content)
    return [d.path for d in plan.files if d.action is FileAction.CONFLICT]


def _parse_vars(name: str, pairs: list[str]) -> dict[str, Any]:
    """NAME=VALUE pairs; a text variable takes VALUE as it is (3.12 stays "3.12"), others parse it as YAML."""
    declared = load_blueprint(name).manifest.variables
    values: dict[str, Any] = {}
    problems = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            problems.append(InputProblem(_SOURCE, 0, 0, pair, "expected NAME=VALUE"))
            continue
        if key in declared and declared[key].type == "str":
            values[key] = raw
            continue
        try:
            values[key] = YAML(typ="safe").load(raw) if raw.strip() else ""
        except YAMLError as exc:
            problems.append(InputProblem(_SOURCE, 0, 0, key, f"not a YAML value: {exc}"))
    if problems:
        raise InputError(problems)
    return values


def _fail(exc: ProvisionerError) -> Any:
    problems = exc.problems if isinstance(exc, InputError) else [exc]
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    raise typer.Exit(1)
