"""What every command shares: the error boundary, exit codes, connecting, loading, selecting."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer

from provisioner.config import Settings, load_settings
from provisioner.credentials import resolve_token
from provisioner.errors import ConfigError, GitLabError, InputError, ProvisionerError
from provisioner.gitlab.transport import GitLabApi
from provisioner.secrets import redact

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_INTERRUPTED = 0, 1, 2, 130
log = logging.getLogger("provisioner")
F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    typer.echo(redact(message), err=True)


def out(text: str) -> None:
    typer.echo(redact(text), nl=False)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err(message)
    raise typer.Exit(code)


def boundary(command: F) -> F:
    """The one place that turns errors into messages and exit codes. No traceback on screen."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            for problem in exc.problems:
                err(str(problem))
            n = len(exc.problems)
            err(f"{n} problem{'s' if n != 1 else ''} in the input; nothing was sent to GitLab.")
            raise typer.Exit(EXIT_ERROR) from None
        except (ConfigError, GitLabError) as exc:
            fail(f"error: {exc}")
        except ProvisionerError as exc:
            fail(f"error: {exc}")
        except KeyboardInterrupt:
            fail("interrupted", EXIT_INTERRUPTED)
        except Exception as exc:
            log.exception("unexpected error")
            fail(f"internal error: {type(exc).__name__} (the traceback is in the log file)")

    return wrapper  # type: ignore[return-value]


def settings(url: str | None = None, concurrency: int | None = None) -> Settings:
    return load_settings(gitlab_url=url, concurrency=concurrency)


def connect(cfg: Settings) -> GitLabApi:
    cfg.check_transport()
    token = resolve_token(cfg)
    return GitLabApi(
        cfg.gitlab_url,
        token,
        verify=cfg.verify,
        timeout=cfg.timeout,
        max_retries=cfg.max_retries,
        pool=cfg.concurrency + 4,
    )


def is_tty() -> bool:
    return sys.stderr.isatty()


def inventory_dir(path: Path) -> str:
    return str(path.resolve().parent)
