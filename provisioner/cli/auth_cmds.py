"""`auth login|status|logout`: the token in the OS keyring (service `provisioner`, user = GitLab host).

The token is read from a hidden prompt, or from stdin when stdin is not a terminal (scripts), never
from the command line. It is registered for redaction the moment it is read.
"""

from __future__ import annotations

import getpass
import sys
from datetime import date
from typing import Annotated, NoReturn

import typer

from provisioner import secrets
from provisioner.cli import common
from provisioner.config import Settings
from provisioner.credentials import KEYRING_SERVICE, NO_KEYRING_HINT, keyring_delete, keyring_get, keyring_set
from provisioner.errors import Unauthorized
from provisioner.gitlab.api import GitLabApi
from provisioner.onboard import auth

auth_app = typer.Typer(help="Keep the GitLab token in the OS keyring.", no_args_is_help=True)
UrlOpt = Annotated[str | None, typer.Option("--url", help="GitLab URL (default: $PROVISIONER_GITLAB_URL).")]
REFUSED = "GitLab refused the token (invalid, expired or revoked)"


def _setup(url: str | None) -> Settings:
    cfg = common.settings(url)
    cfg.check_transport()
    return cfg


def _read_token(host: str) -> str:
    if sys.stdin.isatty():
        token = getpass.getpass(f"GitLab token for {host} (input hidden): ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if token:
        secrets.remember(token)
    return token


def _show(cfg: Settings, token: str) -> auth.Identity:
    api = GitLabApi(
        cfg.gitlab_url, token, verify=cfg.verify, timeout=cfg.timeout, max_retries=cfg.max_retries
    )
    try:
        who = auth.identify(api)
    finally:
        api.close()
    today = date.today()
    common.out("".join(f"{line}\n" for line in auth.describe(who, today)))
    for warning in auth.warnings(who, today):
        common.err(f"warning: {warning}")
    return who


def _no_keyring() -> NoReturn:
    common.fail(f"error: {NO_KEYRING_HINT}")


@auth_app.command()
def login(url: UrlOpt = None) -> None:
    """Check a token with GitLab and keep it in the OS keyring (prompted for; or piped on stdin)."""
    cfg = _setup(url)
    backend = auth.keyring_backend()
    if backend is None:
        _no_keyring()
    token = _read_token(cfg.host)
    if not token:
        common.fail("error: no token given; nothing stored")
    common.out(f"GitLab:  {cfg.gitlab_url}\n")
    try:
        _show(cfg, token)
    except Unauthorized:
        common.fail(f"error: {REFUSED}; nothing stored")
    keyring_set(KEYRING_SERVICE, cfg.host, token)
    common.out(f"Stored in the keyring ({backend}) for {cfg.host}.\n")
    default_url = common.settings().gitlab_url
    if default_url != cfg.gitlab_url:
        common.err(
            f"note: other commands talk to {default_url} unless told otherwise: "
            f"set PROVISIONER_GITLAB_URL={cfg.gitlab_url} (or pass --url)"
        )
    variable = auth.token_variable()
    if variable is not None:
        common.err(f"note: {variable} is set in this environment and is used instead of the keyring")


@auth_app.command()
def status(url: UrlOpt = None) -> None:
    """Say where the token comes from (environment or keyring) and check it with GitLab."""
    cfg = _setup(url)
    variable = auth.token_variable()
    if variable is not None and cfg.token is not None:
        token, source = cfg.token.get_secret_value(), f"environment ({variable})"
    else:
        backend = auth.keyring_backend()
        if backend is None:
            common.fail(f"error: not logged in to {cfg.host}: {NO_KEYRING_HINT}")
        token, source = keyring_get(cfg.host) or "", f"keyring ({backend})"
        if not token:
            common.fail(
                f"error: not logged in to {cfg.host}: run `provisioner auth login --url {cfg.gitlab_url}`"
            )
    secrets.remember(token)
    common.out(f"GitLab:  {cfg.gitlab_url}\nsource:  {source}\n")
    try:
        _show(cfg, token)
    except Unauthorized:
        common.fail(f"error: {REFUSED}")


@auth_app.command()
def logout(url: UrlOpt = None) -> None:
    """Remove the token of this GitLab from the keyring."""
    cfg = _setup(url)
    if auth.keyring_backend() is None:
        _no_keyring()
    if keyring_delete(KEYRING_SERVICE, cfg.host):
        common.out(f"Removed the token for {cfg.host} from the keyring.\n")
    else:
        common.out(f"No token for {cfg.host} in the keyring; nothing to remove.\n")
    variable = auth.token_variable()
    if variable is not None:
        common.err(f"note: {variable} is still set in this environment")
