"""What every command shares: the error boundary, exit codes, connecting, loading, selecting."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from provisioner.cli import logs as cli_logs
from provisioner.config import Settings, load_settings
from provisioner.credentials import resolve_token
from provisioner.errors import (
    ConfigError,
    GitLabError,
    InputError,
    Interrupted,
    ProvisionerError,
    Unauthorized,
)
from provisioner.gitlab.transport import GitLabApi
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import LoadedInventory
from provisioner.report.text import plural
from provisioner.secrets import redact

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_INTERRUPTED = 0, 1, 2, 130
F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    typer.echo(redact(message), err=True)


def out(text: str) -> None:
    typer.echo(redact(text), nl=False)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err(message)
    raise typer.Exit(code)


def boundary(command: F) -> F:
    """The one place that turns errors into messages and exit codes. No traceback on screen.

    Logging (and with it the scrubbing of secrets from every handler) starts here, before the command
    loads anything: a crash while loading the inventory is caught, scrubbed and logged like any other.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            cli_logs.setup(bool(kwargs.get("debug")), settings().log_file)
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            for problem in exc.problems:
                err(str(problem))
            err(f"{plural(len(exc.problems), 'problem')} in the input; nothing was sent to GitLab.")
            raise typer.Exit(EXIT_ERROR) from None
        except (ConfigError, GitLabError) as exc:
            fail(f"error: {exc}")
        except Interrupted as exc:
            err(f"aborted: {exc}")
            _exit_now(EXIT_INTERRUPTED)
        except ProvisionerError as exc:
            fail(f"error: {exc}")
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED)
        except Exception as exc:
            log_file = cli_logs.log_traceback("unexpected error")  # the console drops tracebacks
            kept = f"the traceback is in {log_file}" if log_file else "no log file could be written"
            fail(f"internal error: {type(exc).__name__}; {kept}")
        finally:
            cli_logs.teardown()

    return wrapper  # type: ignore[return-value]


def _exit_now(code: int) -> NoReturn:
    """Exit without waiting for worker threads (a normal exit joins them): asked to stop at once."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def settings(url: str | None = None, concurrency: int | None = None) -> Settings:
    return load_settings(gitlab_url=url, concurrency=concurrency)


def connect(cfg: Settings) -> GitLabApi:
    """A client that has talked to GitLab once: an unreachable host, a TLS failure or a bad token is
    one error for the run, not one per project (each after its own retries)."""
    cfg.check_transport()
    token = resolve_token(cfg)
    api = GitLabApi(
        cfg.gitlab_url,
        token,
        verify=cfg.verify,
        timeout=cfg.timeout,
        max_retries=cfg.max_retries,
        pool=cfg.concurrency + 4,
    )
    try:
        api.version()
    except GitLabError as exc:
        api.close()
        hint = " (the token is invalid, expired or revoked)" if isinstance(exc, Unauthorized) else ""
        raise ConfigError(f"cannot use {cfg.gitlab_url}: {exc.message}{hint}") from None
    return api


def load(path: Path, only: Sequence[str] = ()) -> LoadedInventory:
    """The inventory, validated, its warnings told on stderr (they do not stop the command)."""
    loaded = load_inventory(path, only=only, extra_roots=settings().extra_roots)
    for warning in loaded.warnings:
        err(f"warning: {warning}")
    return loaded


def is_tty() -> bool:
    return sys.stderr.isatty()


def inventory_dir(path: Path) -> str:
    return str(path.resolve().parent)
