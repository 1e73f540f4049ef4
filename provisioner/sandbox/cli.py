"""`provisioner sandbox serve`: the CLI contract other tools and checks rely on exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provisioner.gitlab_versions import SERVED, Version
from provisioner.sandbox.options import GraphqlCost, SandboxOptions
from provisioner.sandbox.server import serve as run

sandbox_app = typer.Typer(
    help="A local GitLab API simulator for demos, tests and benchmarks.", no_args_is_help=True
)


@sandbox_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    seed: Annotated[str, typer.Option(help="Starting world: demo or empty.")] = "empty",
    state: Annotated[Path | None, typer.Option("--state", help="Keep the world in this JSON file.")] = None,
    latency_ms: Annotated[float, typer.Option(help="Mean latency added to each API request.")] = 0.0,
    rate_limit: Annotated[int, typer.Option(help="Requests per minute per token; 0: none.")] = 0,
    rate_limit_headers_always: Annotated[
        bool,
        typer.Option(
            help="RateLimit-* headers on every answer, as GitLab 18.6+ with the feature flag "
            "rate_limiting_headers_for_unthrottled_requests on; GitLab's default: on 429s only."
        ),
    ] = False,
    fault_rate: Annotated[float, typer.Option(help="Fraction of API requests answered with a fault.")] = 0.0,
    random_seed: Annotated[int | None, typer.Option(help="Seed for latency and fault choices.")] = None,
    gitlab_version: Annotated[
        str,
        typer.Option(
            help=f"The GitLab version served (one of {', '.join(SERVED)} is what the version table "
            "was built around): fields, endpoints and values it lacks are absent or refused as GitLab does."
        ),
    ] = "18.6",
    edition: Annotated[str, typer.Option(help="ce (Community Edition) or ee (Enterprise Edition).")] = "ee",
    enforce_job_token_allowlist: Annotated[
        bool,
        typer.Option(
            help="The instance enforces every project's job token allowlist (GitLab 17.6+; on by default "
            "on GitLab 18 and GitLab.com): disabling a project's allowlist then does not stick."
        ),
    ] = False,
    graphql_ms_per_project: Annotated[float, typer.Option(help="GraphQL time cost per project.")] = 0.1,
    graphql_ms_per_blob: Annotated[float, typer.Option(help="GraphQL time cost per file read.")] = 0.01,
    graphql_timeout: Annotated[
        float, typer.Option(help="GraphQL query timeout, seconds (GitLab: 30).")
    ] = 30.0,
) -> None:
    """Serve the sandbox until SIGINT or SIGTERM. Prints one JSON line, {"url", "token"}, once ready."""
    if seed not in ("demo", "empty"):
        raise typer.BadParameter("use demo or empty", param_hint="--seed")
    if not 0.0 <= fault_rate <= 1.0:
        raise typer.BadParameter("must be between 0 and 1", param_hint="--fault-rate")
    if edition not in ("ce", "ee"):
        raise typer.BadParameter("use ce or ee", param_hint="--edition")
    try:
        Version.parse(gitlab_version, edition)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--gitlab-version") from exc
    if min(graphql_ms_per_project, graphql_ms_per_blob, graphql_timeout) < 0:
        raise typer.BadParameter("must not be negative", param_hint="--graphql-*")
    options = SandboxOptions(
        seed=seed,
        gitlab_version=gitlab_version,
        edition=edition,
        enforce_job_token_allowlist=enforce_job_token_allowlist,
        graphql=GraphqlCost(graphql_ms_per_project, graphql_ms_per_blob, graphql_timeout),
        state_file=state,
        latency_ms=latency_ms,
        rate_limit=rate_limit or None,
        rate_limit_headers_always=rate_limit_headers_always,
        fault_rate=fault_rate,
        random_seed=random_seed,
    )
    raise typer.Exit(run(options, host, port))
