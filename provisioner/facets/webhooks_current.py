"""`import` of webhooks (a project's or a group's): what GitLab shows, in the inventory's words.

The token and custom header values are never shown by GitLab: each hook gets a comment asking for its
`secret:`, and a note names the headers left out. A hook whose URL holds a password is left out whole,
with a note: the password is never written."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from provisioner.facets.base import Description
from provisioner.facets.describing import read_part
from provisioner.gitlab import webhooks as api_webhooks
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.webhooks import HEADERS_FEATURE, HookRecord, target
from provisioner.gitlab_versions import available

TOKEN_NOTE = "GitLab never shows a hook's token: give it as secret: (env:, keyring:, file:)"


def read_hooks(
    api: GitLabApi, owner: str, notes: list[str], cache_id: int | None = None
) -> list[HookRecord] | None:
    hooks = read_part(notes, "webhooks", lambda: api_webhooks.list_hooks(api, owner, cache_id))
    if hooks and available(HEADERS_FEATURE, api.server()):
        for hook in hooks:
            keys = read_part(
                notes, target(hook.url), partial(api_webhooks.header_keys, api, owner, hook.id, cache_id)
            )
            if keys:
                # Their values are never shown: the user gives them (a value or a secret).
                names = ", ".join(sorted(keys))
                notes.append(
                    f"{target(hook.url)}: custom headers {names} not imported (GitLab never shows their values)"
                )
    return hooks


def describe_hooks(section_name: str, current: Sequence[HookRecord] | None) -> Description:
    out = Description()
    hooks: list[dict[str, Any]] = []
    for hook in current or ():
        if urlsplit(hook.url).password is not None:
            out.notes.append(f"{target(hook.url)}: its URL holds a password, never written out; not imported")
            continue
        entry: dict[str, Any] = {
            "url": hook.url,
            "events": sorted(hook.events),
            "enable_ssl_verification": hook.enable_ssl_verification,
            "branch_filter_strategy": hook.branch_filter_strategy,
        }
        if hook.push_events_branch_filter is not None:
            entry["push_events_branch_filter"] = hook.push_events_branch_filter
        entry |= {name: getattr(hook, name) for name in ("name", "description") if getattr(hook, name)}
        out.comments[(section_name, "hooks", str(len(hooks)), "url")] = TOKEN_NOTE
        hooks.append(entry)
    if hooks:
        out.entry[section_name] = {"hooks": hooks}
    return out
