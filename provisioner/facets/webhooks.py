"""A project's webhooks (`webhooks`) and a group's own (`group_webhooks`, GitLab Premium), identified by URL.

GitLab never returns a hook's token nor its custom header values, so, like hidden variables, they are
written when the hook is created (a header: when it is added) and rewritten only with --rotate;
everything else is compared. A password in a URL is shown as `(sensitive)` in targets and values.
Fields this GitLab lacks (name, description, custom headers before 17.1) are an `unsupported`
finding of the hook, and the rest of it is still managed. A group's hooks on the Community Edition:
one finding for the group ("needs GitLab EE"), nothing read. A group hook's own events
(`subgroup_events`, `member_events`) are not managed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provisioner.errors import ProvisionerError
from provisioner.facets.base import ApplyContext, Description, FacetDefaults, PlanOptions, unsupported
from provisioner.facets.webhooks_current import describe_hooks, read_hooks
from provisioner.gitlab import webhooks as api_webhooks
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.permissions import require_maintainer
from provisioner.gitlab.webhooks import (
    GROUP_FEATURE,
    HEADERS_FEATURE,
    NAME_FEATURE,
    HookRecord,
    display_url,
    target,
)
from provisioner.gitlab_versions import Version, available
from provisioner.inventory.section_secrets import references as section_references
from provisioner.inventory.sections.webhooks import HeaderValue, Webhook, Webhooks
from provisioner.inventory.spec import GroupSpec, ProjectSpec
from provisioner.model import (
    SENSITIVE,
    WEBHOOK_EVENTS,
    Action,
    Change,
    GroupRef,
    ProjectRef,
    Role,
    TargetKind,
)
from provisioner.secrets import Secret


@dataclass(frozen=True)
class ObservedHooks:
    server: Version
    hooks: tuple[HookRecord, ...]
    headers: Mapping[int, frozenset[str]] = field(default_factory=dict)  # by hook id, where managed
    lacking: str | None = None  # the feature this GitLab lacks for these hooks at all (group hooks on CE)


@dataclass(frozen=True)
class _Plan:
    """What apply writes for one hook, in memory only (it may hold the token and header values)."""

    hook_id: int | None
    body: Mapping[str, Any] = field(default_factory=dict)
    drop_headers: tuple[str, ...] = ()


def section(spec: ProjectSpec) -> Webhooks | None:
    return getattr(spec.config, "webhooks", None)


def _manages_headers(hook: Webhook, server: Version) -> bool:
    return hook.custom_headers is not None and available(HEADERS_FEATURE, server)


def _wanted(hook: Webhook, server: Version) -> dict[str, Any]:
    """The compared fields the inventory sets and this GitLab has, as shown."""
    shown: dict[str, Any] = {}
    if hook.events is not None:
        shown["events"] = sorted(hook.events)
    for name in ("enable_ssl_verification", "push_events_branch_filter", "branch_filter_strategy"):
        if getattr(hook, name) is not None:
            shown[name] = getattr(hook, name)
    if available(NAME_FEATURE, server):
        shown |= {
            name: getattr(hook, name) for name in ("name", "description") if getattr(hook, name) is not None
        }
    if _manages_headers(hook, server):
        shown["custom_headers"] = sorted(hook.custom_headers or {})
    return shown


def _kept(have: HookRecord, headers: frozenset[str] | None) -> dict[str, Any]:
    kept: dict[str, Any] = {
        "events": sorted(have.events),
        "enable_ssl_verification": have.enable_ssl_verification,
        "push_events_branch_filter": have.push_events_branch_filter,
        "branch_filter_strategy": have.branch_filter_strategy,
        "name": have.name,
        "description": have.description,
    }
    if headers is not None:
        kept["custom_headers"] = sorted(headers)
    return kept


def _value(value: str | HeaderValue | None, secrets: Mapping[str, Secret]) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if value.secret is None:
        return value.value or ""
    return _secret(value.secret, secrets).reveal()


def _secret(ref: str, secrets: Mapping[str, Secret]) -> Secret:
    found = secrets.get(ref)
    if found is None:  # the loader resolves every reference; a spec built by hand may lack one
        raise ProvisionerError(f"secret {ref} was not resolved")
    return found


def _body(
    hook: Webhook, shown: Mapping[str, Any], secrets: Mapping[str, Secret], *, token: bool
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": hook.url}
    for name, value in shown.items():
        if name == "events":
            body |= {event: event in value for event in WEBHOOK_EVENTS}
        elif name != "custom_headers":
            body[name] = value
    if token and hook.secret is not None:
        body["token"] = _secret(hook.secret, secrets).reveal()
    return body


def _headers(hook: Webhook, keys: Sequence[str], secrets: Mapping[str, Secret]) -> list[dict[str, str]]:
    given = hook.custom_headers or {}
    return [{"key": key, "value": _value(given.get(key), secrets)} for key in sorted(keys)]


def diff_hook(
    facet: str,
    hook: Webhook,
    have: HookRecord | None,
    observed: ObservedHooks,
    secrets: Mapping[str, Secret],
    options: PlanOptions,
) -> list[Change]:
    label, server = target(hook.url), observed.server
    changes = [
        finding
        for feature, asked in (
            (NAME_FEATURE, hook.name or hook.description),
            (HEADERS_FEATURE, hook.custom_headers),
        )
        if asked is not None and (finding := unsupported(facet, label, feature, server))
    ]
    wanted = _wanted(hook, server)
    if have is None:
        body = _body(hook, wanted, secrets, token=True)
        if _manages_headers(hook, server) and hook.custom_headers:
            body["custom_headers"] = _headers(hook, list(hook.custom_headers), secrets)
        after = {"url": display_url(hook.url), **wanted, **({"token": SENSITIVE} if hook.secret else {})}
        return [*changes, Change(facet, label, Action.CREATE, after=after, payload=_Plan(None, body))]
    headers = observed.headers.get(have.id) if _manages_headers(hook, server) else None
    kept = _kept(have, headers)
    differ = {key: value for key, value in wanted.items() if kept.get(key) != value}
    before = {key: kept.get(key) for key in differ}
    after = dict(differ)
    body = _body(
        hook, {k: v for k, v in differ.items() if k != "custom_headers"}, secrets, token=options.rotate
    )
    if options.rotate and hook.secret is not None:
        before["token"] = after["token"] = SENSITIVE
    put_headers: list[str] = []
    drop: tuple[str, ...] = ()
    if headers is not None:
        wanted_keys = set(hook.custom_headers or {})
        put_headers = sorted(wanted_keys if options.rotate else wanted_keys - headers)
        drop = tuple(sorted(headers - wanted_keys))
        if options.rotate and put_headers:
            after["custom_headers"] = wanted.get("custom_headers")
            before.setdefault("custom_headers", kept.get("custom_headers"))
            after["header values"] = SENSITIVE
    if put_headers:
        body["custom_headers"] = _headers(hook, put_headers, secrets)
    if not after:
        return changes
    return [*changes, Change(facet, label, Action.UPDATE, before, after, payload=_Plan(have.id, body, drop))]


def diff_webhooks(
    facet: str, config: Webhooks, observed: ObservedHooks, secrets: Mapping[str, Secret], options: PlanOptions
) -> list[Change]:
    have = {h.url: h for h in observed.hooks}
    changes: list[Change] = []
    for hook in config.hooks:
        changes += diff_hook(facet, hook, have.get(hook.url), observed, secrets, options)
    wanted = {h.url for h in config.hooks}
    for found in observed.hooks:
        if found.url in wanted:
            continue
        action = Action.DELETE if config.prune else Action.UNMANAGED
        shown = {
            "url": display_url(found.url),
            **{k: v for k, v in _kept(found, None).items() if v is not None},
        }
        changes.append(Change(facet, target(found.url), action, before=shown, payload=_Plan(found.id)))
    return changes


def apply_webhooks(
    api: GitLabApi, owner: str, changes: Sequence[Change], cache_id: int | None = None
) -> None:
    for change in changes:
        plan: _Plan = change.payload
        if change.action is Action.CREATE:
            api_webhooks.create(api, owner, plan.body, cache_id)
        elif change.action is Action.DELETE and plan.hook_id is not None:
            api_webhooks.delete(api, owner, plan.hook_id, cache_id)
        elif plan.hook_id is not None:
            if len(plan.body) > 1:  # more than the URL every PUT carries
                api_webhooks.update(api, owner, plan.hook_id, plan.body, cache_id)
            for key in plan.drop_headers:
                api_webhooks.delete_header(api, owner, plan.hook_id, key, cache_id)


def observe_hooks(
    api: GitLabApi, owner: str, config: Webhooks | None, cache_id: int | None = None
) -> ObservedHooks:
    server = api.server()
    hooks = tuple(api_webhooks.list_hooks(api, owner, cache_id))
    managed = {h.url for h in (config.hooks if config else ()) if _manages_headers(h, server)}
    headers = {h.id: api_webhooks.header_keys(api, owner, h.id, cache_id) for h in hooks if h.url in managed}
    return ObservedHooks(server, hooks, headers)


class ProjectWebhooks(FacetDefaults):
    name = "webhooks"
    kind = TargetKind.PROJECT
    write_role = Role.MAINTAINER
    section = "webhooks"
    schema = Webhooks

    def wants(self, spec: ProjectSpec) -> bool:
        return section(spec) is not None

    def observe(self, api: GitLabApi, project: ProjectRef, spec: ProjectSpec) -> ObservedHooks:
        require_maintainer(project)  # GitLab answers a bare 403 otherwise
        return observe_hooks(api, f"/projects/{project.id}", section(spec), project.id)

    def diff(self, spec: ProjectSpec, observed: ObservedHooks, options: PlanOptions) -> list[Change]:
        config = section(spec)
        if config is None:
            return []
        return diff_webhooks(self.name, config, observed, spec.secrets, options)

    def apply(
        self, api: GitLabApi, project: ProjectRef, changes: Sequence[Change], ctx: ApplyContext
    ) -> None:
        apply_webhooks(api, f"/projects/{project.id}", changes, project.id)

    def read_current(self, api: GitLabApi, project: ProjectRef, notes: list[str]) -> list[HookRecord] | None:
        return read_hooks(api, f"/projects/{project.id}", notes, project.id)

    def describe(self, project: ProjectRef, current: list[HookRecord] | None) -> Description:
        return describe_hooks(self.section, current)


def group_section(spec: GroupSpec) -> Webhooks | None:
    return getattr(spec.config, "group_webhooks", None)

    def secrets(self, spec: Any) -> Mapping[str, Secret]:
        """The webhook tokens and header values its changes carry (a saved plan keeps a keyed
        fingerprint of each, see `FacetDefaults.secrets`)."""
        config = getattr(spec.config, self.section, None)
        used = dict(section_references(config.model_dump(mode="json"))) if config is not None else {}
        return {f"{self.section}: {ref}": spec.secrets[ref] for ref in used.values() if ref in spec.secrets}


class GroupWebhooks(FacetDefaults):
    """A group's own hooks (Premium): they fire for every project below the group."""

    name = "group_webhooks"
    kind = TargetKind.GROUP
    write_role = Role.OWNER
    section = "group_webhooks"
    schema = Webhooks

    def wants(self, spec: GroupSpec) -> bool:
        return group_section(spec) is not None

    def observe(self, api: GitLabApi, group: GroupRef, spec: GroupSpec) -> ObservedHooks:
        server = api.server()
        if not available(GROUP_FEATURE, server):
            return ObservedHooks(server, (), lacking=GROUP_FEATURE)
        return observe_hooks(api, f"/groups/{group.id}", group_section(spec))

    def diff(self, spec: GroupSpec, observed: ObservedHooks, options: PlanOptions) -> list[Change]:
        config = group_section(spec)
        if config is None:
            return []
        if observed.lacking is not None:
            finding = unsupported(self.name, "group webhooks", observed.lacking, observed.server)
            return [finding] if finding else []
        return diff_webhooks(self.name, config, observed, spec.secrets, options)

    def apply(self, api: GitLabApi, group: GroupRef, changes: Sequence[Change], ctx: ApplyContext) -> None:
        apply_webhooks(api, f"/groups/{group.id}", changes)

    def read_current(self, api: GitLabApi, group: GroupRef, notes: list[str]) -> list[HookRecord] | None:
        if not available(GROUP_FEATURE, api.server()):
            return None
        return read_hooks(api, f"/groups/{group.id}", notes)

    def describe(self, group: GroupRef, current: list[HookRecord] | None) -> Description:
        return describe_hooks(self.section, current)

    def secrets(self, spec: Any) -> Mapping[str, Secret]:
        """The webhook tokens and header values its changes carry (a saved plan keeps a keyed
        fingerprint of each, see `FacetDefaults.secrets`)."""
        config = getattr(spec.config, self.section, None)
        used = dict(section_references(config.model_dump(mode="json"))) if config is not None else {}
        return {f"{self.section}: {ref}": spec.secrets[ref] for ref in used.values() if ref in spec.secrets}
