"""Project webhooks [G:lib/api/project_hooks.rb, lib/api/helpers/web_hooks_helpers.rb,
lib/api/entities/hook.rb, lib/api/entities/project_hook.rb, doc/api/project_webhooks.md].

Quirks kept here: GitLab never returns a hook's token nor its custom header values; the list of
hooks leaves out even the header names (`with_custom_headers: false`), which only the single hook
shows; a PUT merges custom headers into the hook's, and one goes away only with
`DELETE .../custom_headers/:key`; GitLab 17.0 requires `url` on every PUT. A group's hooks (Premium)
follow the same API under `/groups/:id/hooks` [G:doc/api/group_webhooks.md].

`owner` is the API prefix of the hooks' owner, `/projects/12` or `/groups/3`; `cache_id` the project's
id for the run cache (a group's hooks are not kept). A URL may carry a
password (`https://user:pass@host`): it is remembered as a secret as soon as it is read, and shown
as `(sensitive)` wherever a URL is shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from provisioner.errors import NotFound
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.once import create_once
from provisioner.gitlab.transport import encode
from provisioner.model import SENSITIVE, WEBHOOK_EVENTS
from provisioner.secrets import remember

HOOKS = "hooks"
NAME_FEATURE = "rest:ProjectHook.name"
DESCRIPTION_FEATURE = "rest:ProjectHook.description"
HEADERS_FEATURE = "rest:ProjectHook.custom_headers"
GROUP_FEATURE = "rest:GET /groups/:id/hooks"
"""Group hooks are Premium: the Community Edition has no such route."""


@dataclass(frozen=True)
class HookRecord:
    id: int
    url: str
    events: frozenset[str]  # the events that trigger it
    enable_ssl_verification: bool
    push_events_branch_filter: str | None
    branch_filter_strategy: str
    name: str | None = None
    description: str | None = None


def display_url(url: str) -> str:
    """`url` as it may be shown: a password in it replaced by `(sensitive)`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return SplitResult(
        parts.scheme, f"{parts.username}:{SENSITIVE}@{host}", parts.path, parts.query, parts.fragment
    ).geturl()


def target(url: str) -> str:
    """A hook's name in plans and reports."""
    return f"webhook {display_url(url)}"


def to_record(entity: Mapping[str, Any]) -> HookRecord:
    url = str(entity["url"])
    password = urlsplit(url).password
    if password:
        remember(password)  # scrubbed from logs and reports from now on
    return HookRecord(
        id=int(entity["id"]),
        url=url,
        events=frozenset(name for name in WEBHOOK_EVENTS if entity.get(name)),
        enable_ssl_verification=bool(entity.get("enable_ssl_verification")),
        push_events_branch_filter=entity.get("push_events_branch_filter") or None,  # null or ""
        branch_filter_strategy=str(entity.get("branch_filter_strategy") or "wildcard"),
        name=entity.get("name") or None,
        description=entity.get("description") or None,
    )


def list_hooks(api: GitLabApi, owner: str, cache_id: int | None = None) -> list[HookRecord]:
    def fetch() -> tuple[HookRecord, ...]:
        return tuple(map(to_record, api.list(f"{owner}/hooks")))

    return list(fetch() if cache_id is None else cache.read(api, cache_id, HOOKS, fetch))


def header_keys(api: GitLabApi, owner: str, hook_id: int, cache_id: int | None = None) -> frozenset[str]:
    """The names of the hook's custom headers: one request, as only a single hook shows them."""

    def fetch() -> frozenset[str]:
        return _keys(api.get(f"{owner}/hooks/{hook_id}"))

    return fetch() if cache_id is None else cache.read(api, cache_id, _headers_key(hook_id), fetch)


def _keys(entity: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(str(h["key"]) for h in entity.get("custom_headers") or ())


def _headers_key(hook_id: int) -> str:
    return f"hook_headers:{hook_id}"


def create(api: GitLabApi, owner: str, body: Mapping[str, Any], cache_id: int | None = None) -> None:
    """A URL names one hook here: after a lost answer, a hook at that URL is the one just made."""
    url = str(body["url"])

    def find() -> Any | None:
        if cache_id is not None:
            cache.unknown(api, cache_id, HOOKS)
        return next((h for h in list_hooks(api, owner, cache_id) if h.url == url), None)

    answer = create_once(lambda: api.post(f"{owner}/hooks", body), find)
    _answered(api, cache_id, answer, gone=None)


def update(
    api: GitLabApi, owner: str, hook_id: int, body: Mapping[str, Any], cache_id: int | None = None
) -> None:
    _answered(api, cache_id, api.put(f"{owner}/hooks/{hook_id}", body), gone=hook_id)


def delete(api: GitLabApi, owner: str, hook_id: int, cache_id: int | None = None) -> None:
    with contextlib.suppress(NotFound):  # a retried DELETE whose first answer was lost
        api.delete(f"{owner}/hooks/{hook_id}")
    _answered(api, cache_id, None, gone=hook_id)


def delete_header(api: GitLabApi, owner: str, hook_id: int, key: str, cache_id: int | None = None) -> None:
    with contextlib.suppress(NotFound):
        api.delete(f"{owner}/hooks/{hook_id}/custom_headers/{encode(key)}")
    if cache_id is not None:
        cache.answered(api, cache_id, _headers_key(hook_id), lambda kept: kept - {key})


def _answered(api: GitLabApi, project_id: int | None, answer: Any, *, gone: int | None) -> None:
    if project_id is None:
        return
    if answer is not None and not (isinstance(answer, Mapping) and "url" in answer):
        cache.unknown(api, project_id, HOOKS)
        return
    record = None if answer is None else to_record(answer)
    dropped = {gone, None if record is None else record.id}
    cache.answered(
        api,
        project_id,
        HOOKS,
        lambda kept: (*(h for h in kept if h.id not in dropped), *(() if record is None else (record,))),
    )
    if isinstance(answer, Mapping) and "custom_headers" in answer and record is not None:
        keys = _keys(answer)
        cache.answered(api, project_id, _headers_key(record.id), lambda _old: keys)
