"""Run settings: environment (`PROVISIONER_*`), an optional TOML config file, then defaults.

The token is never a setting that can come from argv or the config file: it comes from the
environment (`PROVISIONER_TOKEN`, or `GITLAB_TOKEN` as CI systems name it) or from the OS keyring
(see `credentials.py`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from provisioner import secrets
from provisioner.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("~/.config/provisioner/config.toml").expanduser()


def state_dir() -> Path:
    """Where the tool keeps what is this user's and this machine's (the plan key; a run lock that
    cannot sit next to a read-only inventory): `$XDG_STATE_HOME/provisioner`, `~/.local/state/...`."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path("~/.local/state").expanduser(), "provisioner")


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PROVISIONER_", extra="forbid", frozen=True)

    gitlab_url: str = "https://gitlab.com"
    """Base URL of the GitLab instance (without /api/v4)."""
    token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("PROVISIONER_TOKEN", "GITLAB_TOKEN"),
        exclude=True,
        repr=False,
    )
    concurrency: int = Field(default=8, ge=1, le=64)
    """Projects worked on at once."""
    timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for one HTTP answer."""
    max_rate: int | None = Field(default=None, ge=1)
    """Requests per minute the tool sends at most, whatever GitLab's own limit allows (the rest of the
    budget is kept for people); unset: paced to GitLab's limit alone."""
    max_retries: int = Field(default=5, ge=0, le=20)
    """Retries of idempotent requests after transient failures."""
    ca_bundle: Path | None = None
    """PEM bundle of CA certificates for TLS verification (default: the system's)."""
    allow_insecure_http: bool = False
    """Allow plain http:// to a host other than loopback (sends the token in clear)."""
    log_file: Path = Path(".provisioner/provisioner.log")
    """Where --debug logs and unexpected tracebacks go (secret values are scrubbed)."""
    extra_roots: Annotated[tuple[Path, ...], NoDecode] = ()
    """Folders besides the main inventory's that includes, `file:` secrets and token files may name
    (separated by ':' in the environment). Without it, every path the inventory names stays inside
    the main inventory's folder."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("PROVISIONER_CONFIG", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(_config_file_source(settings_cls, config_file))
        return tuple(sources)

    @field_validator("gitlab_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://gitlab.example.com")
        return value.rstrip("/")

    @field_validator("extra_roots", mode="before")
    @classmethod
    def _roots(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(Path(part) for part in value.split(os.pathsep) if part)
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.gitlab_url).netloc

    def check_transport(self) -> None:
        """Refuse to send a token in clear text to anything but this machine, unless allowed."""
        parts = urlsplit(self.gitlab_url)
        if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS and not self.allow_insecure_http:
            raise ConfigError(
                f"refusing plain http:// to {parts.hostname}: the token would travel in clear text. "
                "Use https://, or set PROVISIONER_ALLOW_INSECURE_HTTP=1 if you really mean it."
            )

    @property
    def verify(self) -> bool | str:
        return str(self.ca_bundle) if self.ca_bundle else True


def _config_file_source(settings_cls: type[BaseSettings], path: Path) -> TomlConfigSettingsSource:
    """The TOML file's settings; a token in it is refused, as a file is read by more than its owner
    (backups, dotfile repositories, screen shares)."""
    try:
        source = TomlConfigSettingsSource(settings_cls, toml_file=path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc}") from None
    token = Settings.model_fields["token"]
    aliases = token.validation_alias.choices if isinstance(token.validation_alias, AliasChoices) else []
    names = {"token", *(str(alias).casefold() for alias in aliases)}
    for key in source.toml_data:
        if key.casefold() in names:
            raise ConfigError(
                f"{path}: the key {key!r} holds the GitLab token, which is never read from the config "
                "file: remove it, and use `provisioner auth login` (the OS keyring) or PROVISIONER_TOKEN"
            )
    return source


def load_settings(**overrides: Any) -> Settings:
    """The settings, the token registered for redaction. An error names each setting and what is wrong
    with it, never the value given (pydantic would print it, and it may be a secret)."""
    try:
        cfg = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings: {problems}") from None
    if cfg.token is not None:
        secrets.remember(cfg.token.get_secret_value())
    return cfg
