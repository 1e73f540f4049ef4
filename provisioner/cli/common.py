"""What every command shares: the error boundary, exit codes, connecting, loading, selecting."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer

from provisioner.cli import logs as cli_logs
from provisioner.config import Settings, load_settings
from provisioner.credentials import resolve_access_token
from provisioner.errors import (
    ConfigError,
    GitLabError,
    InputError,
    Interrupted,
    ProvisionerError,
    Unauthorized,
    Unreachable,
)
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.ratelimit import RateLimiter
from provisioner.inventory import load_inventory
from provisioner.inventory.spec import LoadedInventory
from provisioner.report.text import plural
from provisioner.secrets import redact

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_INTERRUPTED = 0, 1, 2, 130


def err(message: str) -> None:
    typer.echo(redact(message), err=True)


def out(text: str, *, colour: bool = False) -> None:
    """stdout. ANSI colour only when asked for (click strips it otherwise)."""
    typer.echo(redact(text), nl=False, color=colour or None)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err(message)
    raise typer.Exit(code)


@contextmanager
def boundary(*, debug: bool) -> Iterator[None]:
    """The one place that turns errors into messages and exit codes, around every command (see
    `provisioner.cli.Program`). No traceback on screen.

    Logging (and with it the scrubbing of secrets from every handler) starts here, before the command
    loads anything: a crash while loading the inventory is caught, scrubbed and logged like any other.
    """
    try:
        cli_logs.setup(debug, settings().log_file)
        yield
    except (typer.Exit, typer.Abort):
        raise  # an exit code a command chose
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
    except BrokenPipeError:
        # The reader went away (`provisioner plan | head`): nothing more to say, and no one to say it to.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(EXIT_ERROR) from None
    except OSError as exc:
        # A file the command was told to read or write: the user's to fix, said without a traceback.
        fail(f"error: {exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": "))
    except KeyboardInterrupt:
        fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if _usage_error(exc):
            raise
        log_file = cli_logs.log_traceback("unexpected error")  # the console drops tracebacks
        kept = f"the traceback is in {log_file}" if log_file else "no log file could be written"
        fail(f"internal error: {type(exc).__name__}; {kept}")
    finally:
        cli_logs.teardown()


def _usage_error(exc: Exception) -> bool:
    """A usage error typer words itself (its click's ClickException: `show()` and an `exit_code`)."""
    return callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)


def _exit_now(code: int) -> NoReturn:
    """Exit without waiting for worker threads (a normal exit joins them): asked to stop at once."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def settings(url: str | None = None, concurrency: int | None = None, max_rate: int | None = None) -> Settings:
    return load_settings(gitlab_url=url, concurrency=concurrency, max_rate=max_rate)


def max_rate(text: str | None) -> int | None:
    """`--max-rate`, read by the command itself: a usage error would exit 2, which says drift."""
    if text is None:
        return None
    if not (text.strip().isascii() and text.strip().isdigit()) or int(text) < 1:
        raise ConfigError(
            f"--max-rate must be a whole number of requests per minute, at least 1 (not {text[:20]!r})"
        )
    return int(text)


def connect(cfg: Settings) -> GitLabApi:
    """A client that has talked to GitLab once: an unreachable host, a TLS failure or a bad token is
    one error for the run, not one per project (each after its own retries)."""
    cfg.check_transport()
    token = resolve_access_token(cfg)
    api = GitLabApi(
        cfg.gitlab_url,
        token,
        verify=cfg.verify,
        timeout=cfg.timeout,
        max_retries=cfg.max_retries,
        pool=cfg.concurrency + 4,
        limiter=RateLimiter(max_per_minute=cfg.max_rate),
    )
    try:
        api.version()
    except GitLabError as exc:
        api.close()
        hint = ""
        if isinstance(exc, Unauthorized):
            hint = " (the token is invalid, expired or revoked)"
        elif isinstance(exc, Unreachable) and not exc.message.startswith("TLS"):
            hint = f"; {_reach_hint()}"
        raise ConfigError(f"cannot use {cfg.gitlab_url}: {exc.message}{hint}") from None
    return api


def _reach_hint() -> str:
    """What to look at when GitLab never answered. A proxy's URL may hold a password: only its name."""
    proxies = [
        name for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy") if os.environ.get(name)
    ]
    proxy = (
        f"the proxy in {proxies[0]} (and NO_PROXY)" if proxies else "whether a proxy is needed (HTTPS_PROXY)"
    )
    return (
        "check the URL (PROVISIONER_GITLAB_URL or --url), that GitLab is up and reachable from here, "
        f"{proxy}, and for https a private CA (PROVISIONER_CA_BUNDLE)"
    )


def load(
    path: Path, only: Sequence[str] = (), *, require_secrets: bool = True, covered: Sequence[str] = ()
) -> LoadedInventory:
    """The inventory, validated with the sections the registered facets read, its warnings told on
    stderr (they do not stop the command). `require_secrets=False` for a read-only run (see
    `inventory.variables.SecretResolver`); `covered`: projects coverage rules bring."""
    from provisioner.facets import inventory_sections  # the registry, read at call time

    loaded = load_inventory(
        path,
        only=only,
        sections=inventory_sections(),
        extra_roots=settings().extra_roots,
        covered=covered,
        require_secrets=require_secrets,
    )
    if not covered:  # said once: a second load (with covered projects) says the same
        for warning in loaded.warnings:
            err(f"warning: {warning}")
    return loaded


def is_tty() -> bool:
    return sys.stderr.isatty()


def inventory_dir(path: Path) -> str:
    return str(path.resolve().parent)
