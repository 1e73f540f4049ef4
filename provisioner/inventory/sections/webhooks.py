"""`webhooks`: a project's webhooks, identified by URL [G:lib/api/project_hooks.rb,
lib/api/entities/project_hook.rb, doc/api/project_webhooks.md].

GitLab never shows a hook's token nor its custom header values: the token comes by reference
(`secret:`, like a variable's) and both are written when the hook is created, when a header is added,
and on `apply --rotate`. A password in a URL (`https://user:pass@host/...`) is a secret too: it is
never shown, in any output.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from provisioner.model import WebhookEvent
from provisioner.secrets import SecretLookupError, parse_reference, remember

MIN_PASSWORD = 4  # as secrets: shorter text cannot be scrubbed from output


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _hook_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("a webhook URL is http:// or https:// with a host")
    if parts.password is not None:
        if len(parts.password) < MIN_PASSWORD:
            raise ValueError(
                f"the URL's password has fewer than {MIN_PASSWORD} characters: too short to keep out of output"
            )
        remember(parts.password)  # scrubbed from every log and report from now on
    return url


def _reference(ref: str) -> str:
    try:
        parse_reference(ref)
    except SecretLookupError as exc:
        raise ValueError(str(exc)) from None
    return ref


SecretRef = Annotated[str, AfterValidator(_reference)]


class HeaderValue(_Section):
    """A custom header's value: a literal, or a secret by reference."""

    value: str | None = None
    secret: SecretRef | None = None
    """env:NAME, keyring:SERVICE/NAME or file:PATH (relative to this file)."""

    @model_validator(mode="after")
    def _one(self) -> HeaderValue:
        if (self.value is None) == (self.secret is None):
            raise ValueError("give value or secret")
        return self


class Webhook(_Section):
    url: Annotated[str, AfterValidator(_hook_url)]
    """The identity of the hook. A password in it is never shown."""
    events: list[WebhookEvent] | None = None
    """The events that trigger it; the others do not. Left out: not managed."""
    enable_ssl_verification: bool | None = None
    push_events_branch_filter: Annotated[str, Field(min_length=1)] | None = None
    """Push events for these branches only (a wildcard, or a regex with branch_filter_strategy: regex)."""
    branch_filter_strategy: Literal["wildcard", "regex", "all_branches"] | None = None
    name: str | None = None
    """GitLab 17.1 and later."""
    description: str | None = None
    """GitLab 17.1 and later."""
    secret: SecretRef | None = None
    """The secret token GitLab sends in X-Gitlab-Token, by reference: env:NAME, keyring:SERVICE/NAME or
    file:PATH. GitLab never shows it: it is written on create and with apply --rotate."""
    custom_headers: dict[Annotated[str, Field(min_length=1)], str | HeaderValue] | None = None
    """Headers GitLab adds to each request (17.1 and later): a literal value or {secret: REF}. GitLab
    shows their names only: values are written when a header is added, and with apply --rotate."""

    @model_validator(mode="after")
    def _consistent(self) -> Webhook:
        if self.events is not None and len(set(self.events)) != len(self.events):
            raise ValueError("an event is given twice")
        if self.branch_filter_strategy == "all_branches" and self.push_events_branch_filter:
            # GitLab drops the filter of such a hook (set_branch_filter_nil): it would never stick.
            raise ValueError(
                "push_events_branch_filter is ignored by GitLab with branch_filter_strategy: all_branches"
            )
        return self


class Webhooks(_Section):
    hooks: list[Webhook] = []
    prune: bool = False
    """Delete hooks whose URL the inventory does not name (otherwise they are only reported)."""

    @model_validator(mode="after")
    def _unique_urls(self) -> Webhooks:
        seen: set[str] = set()
        for hook in self.hooks:
            if hook.url in seen:
                raise ValueError("two hooks have the same URL (a hook's URL is its identity)")
            seen.add(hook.url)
        return self
