"""Rendering the python-package pipeline for tests that read it: its YAML, its jobs, its shell lines."""

from __future__ import annotations

from typing import Any

from ruamel.yaml import YAML

from provisioner.blueprint import render

PROJECT = "platform/demo-pkg"
# A real P-256 public key (openssl ecparam -name prime256v1 -genkey | openssl pkey -pubout).
PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwR8N1u0BijrKCXRzEmNhMo93XIst\n"
    "1FO9mJa79+hB1PVtGmMgRQ7tDUoGZl976tSCdLzPjIZGduy5J0XSno6mrw==\n"
    "-----END PUBLIC KEY-----\n"
)
KEY_SIGNING = {"signing": "key", "signing_public_key": PUBLIC_KEY}


def ci_text(variables: dict[str, Any] | None = None) -> str:
    return render("python-package", variables or {}, project_path=PROJECT).file(".gitlab-ci.yml").text


def pipeline(variables: dict[str, Any] | None = None) -> Any:
    return YAML(typ="safe").load(ci_text(variables))


def jobs(config: dict[str, Any]) -> dict[str, Any]:
    """The jobs GitLab would create: top-level mappings with a stage, hidden (.name) ones left out."""
    return {k: v for k, v in config.items() if isinstance(v, dict) and not k.startswith(".") and "stage" in v}


def shell_entries(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(job, entry) for every before_script and script entry of every job and template."""
    found = []
    for name, job in config.items():
        if isinstance(job, dict):
            for key in ("before_script", "script"):
                found += [(name, entry) for entry in job.get(key, [])]
    return found


def rules_of(config: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A job's rules: its own, else those of the last template it extends that has some (GitLab merges
    `extends` in order, later ones winning)."""
    job = config[name]
    if "rules" in job:
        return list(job["rules"])
    extends = job.get("extends", [])
    for parent in reversed([extends] if isinstance(extends, str) else extends):
        if "rules" in config[parent]:
            return list(config[parent]["rules"])
    return []
