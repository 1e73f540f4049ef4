"""Where the API token comes from: the environment first (CI), then the OS keyring (people).

Keyring entries use service `provisioner` and the GitLab host (`gitlab.example.com[:port]`) as the
user name, so one keyring can hold tokens for several instances.
"""

from __future__ import annotations

import threading

from provisioner import secrets
from provisioner.config import Settings
from provisioner.errors import ConfigError

KEYRING_SERVICE = "provisioner"
# Keyring backends are not thread-safe (the file backends rewrite one file without locking): the
# workers of a run that store runner and deploy tokens at the same time take turns.
_KEYRING = threading.Lock()
NO_KEYRING_HINT = (
    "no usable OS keyring on this machine (a headless server?): "
    "set PROVISIONER_TOKEN (or GITLAB_TOKEN) in the environment instead"
)


def resolve_access_token(settings: Settings) -> str:
    if settings.token is not None:
        token = settings.token.get_secret_value()
    else:
        token = keyring_get(settings.host) or ""
    if not token:
        raise ConfigError(
            f"no GitLab token for {settings.host}: set PROVISIONER_TOKEN, or run `provisioner auth login`"
        )
    secrets.remember(token)
    return token


def keyring_get(host: str, service: str = KEYRING_SERVICE) -> str | None:
    """The entry `service`/`host` (by default: the API token for that host), None when there is none."""
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    try:
        with _KEYRING:
            return keyring.get_password(service, host)
    except NoKeyringError:
        return None
    except KeyringError as exc:
        raise ConfigError(f"keyring error ({type(exc).__name__}); {NO_KEYRING_HINT}") from None


def keyring_set(service: str, name: str, value: str) -> None:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError

    secrets.remember(value)
    try:
        with _KEYRING:
            keyring.set_password(service, name, value)
    except NoKeyringError:
        raise ConfigError(NO_KEYRING_HINT) from None
    except KeyringError as exc:
        raise ConfigError(f"keyring error ({type(exc).__name__}) storing {service}/{name}") from None


def keyring_delete(service: str, name: str) -> bool:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    try:
        with _KEYRING:
            keyring.delete_password(service, name)
    except PasswordDeleteError:
        return False
    except NoKeyringError:
        raise ConfigError(NO_KEYRING_HINT) from None
    except KeyringError as exc:
        raise ConfigError(f"keyring error ({type(exc).__name__}) deleting {service}/{name}") from None
    return True
