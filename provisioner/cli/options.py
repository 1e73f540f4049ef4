"""The options the commands share, declared once (typer reads them from the annotations)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

InventoryOpt = Annotated[Path, typer.Option("--inventory", "-i", help="The inventory file.")]
ProjectOpt = Annotated[
    list[str] | None,
    typer.Option("--project", "-p", help="Only these projects (full paths or globs); repeatable."),
]
ShardOpt = Annotated[
    str | None, typer.Option(help="Only shard K of N (K/N), e.g. $CI_NODE_INDEX/$CI_NODE_TOTAL.")
]
# A choice, so that a wrong --format is a usage error before anything is loaded or sent.
FormatOpt = Annotated[Literal["text", "json"], typer.Option("--format", "-f", help="text or json")]
ConcurrencyOpt = Annotated[int | None, typer.Option(help="Projects worked on at once (default 8).")]
# Text, checked by the command: a usage error's exit code (2) would say drift.
MaxRateOpt = Annotated[
    str | None,
    typer.Option(
        metavar="N",
        help="Send at most N requests per minute, below GitLab's own limit if it is higher, to keep "
        "part of the budget for people (default: $PROVISIONER_MAX_RATE; unset: GitLab's limit).",
    ),
]
UrlOpt = Annotated[str | None, typer.Option("--url", help="GitLab URL (default: $PROVISIONER_GITLAB_URL).")]
RotateOpt = Annotated[bool, typer.Option(help="Rewrite hidden variables' values and replace changed tokens.")]
# Read by `common.boundary`, which sets logging up before the command runs.
DebugOpt = Annotated[bool, typer.Option(help="Debug logging (secret values are still scrubbed).")]
RequireSecretsOpt = Annotated[
    bool,
    typer.Option(
        help="Fail when a secret cannot be resolved (by default a read-only run compares everything "
        "else of such a variable and says its value was not verified)."
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="Text output: only the summary block (failures named in it).")
]
