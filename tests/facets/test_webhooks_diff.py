"""The webhooks diff, pure: what is compared, what only --rotate writes, what is never shown."""

from __future__ import annotations

import pytest

from provisioner.facets.base import PlanOptions
from provisioner.facets.webhooks import ObservedHooks, diff_webhooks
from provisioner.gitlab.webhooks import HookRecord, display_url, to_record
from provisioner.gitlab_versions import Version
from provisioner.inventory.sections.webhooks import Webhook, Webhooks
from provisioner.model import SENSITIVE, Action
from provisioner.secrets import Secret

URL = "https://chat.example.com/hook"
TOKEN = Secret("diff-hook-token-1234", "env:T")
HEADER = Secret("diff-header-value-5678", "env:H")
SECRETS = {"env:T": TOKEN, "env:H": HEADER}
NEW = Version(18, 6, 0)


def have(**fields: object) -> HookRecord:
    values = {
        "id": 7,
        "url": URL,
        "events": frozenset({"push_events"}),
        "enable_ssl_verification": True,
        "push_events_branch_filter": None,
        "branch_filter_strategy": "wildcard",
    } | fields
    return HookRecord(**values)  # type: ignore[arg-type]


def diff(
    hook: Webhook,
    found: HookRecord | None,
    *,
    headers: frozenset[str] | None = None,
    rotate: bool = False,
    server: Version = NEW,
) -> list:
    observed = ObservedHooks(
        server, () if found is None else (found,), {} if headers is None else {7: headers}
    )
    return diff_webhooks("webhooks", Webhooks(hooks=[hook]), observed, SECRETS, PlanOptions(rotate=rotate))


def test_a_new_hook_carries_its_token_in_the_payload_only() -> None:
    [change] = diff(Webhook(url=URL, events=["pipeline_events"], secret="env:T"), None)
    assert change.action is Action.CREATE
    assert change.after == {"url": URL, "events": ["pipeline_events"], "token": SENSITIVE}
    assert change.payload.body["token"] == TOKEN.reveal() and change.payload.body["push_events"] is False
    assert TOKEN.reveal() not in str(change.public())


def test_the_token_is_compared_never_and_written_with_rotate() -> None:
    hook = Webhook(url=URL, events=["push_events"], secret="env:T")
    assert diff(hook, have()) == []
    [change] = diff(hook, have(), rotate=True)
    assert (change.before, change.after) == ({"token": SENSITIVE}, {"token": SENSITIVE})
    assert change.payload.body == {"url": URL, "token": TOKEN.reveal()}


@pytest.mark.parametrize(
    ("hook", "found", "before", "after"),
    [
        (
            Webhook(url=URL, events=["push_events", "job_events"]),
            have(),
            {"events": ["push_events"]},
            {"events": ["job_events", "push_events"]},
        ),
        (
            Webhook(url=URL, enable_ssl_verification=False),
            have(),
            {"enable_ssl_verification": True},
            {"enable_ssl_verification": False},
        ),
        (
            Webhook(url=URL, push_events_branch_filter="main"),
            have(),
            {"push_events_branch_filter": None},
            {"push_events_branch_filter": "main"},
        ),
    ],
)
def test_what_gitlab_shows_is_compared(hook: Webhook, found: HookRecord, before: dict, after: dict) -> None:
    [change] = diff(hook, found)
    assert (change.action, change.before, change.after) == (Action.UPDATE, before, after)


def test_custom_headers_are_compared_by_name_and_removed_one_by_one() -> None:
    hook = Webhook(url=URL, custom_headers={"Authorization": {"secret": "env:H"}, "X-Team": "platform"})
    assert diff(hook, have(), headers=frozenset({"Authorization", "X-Team"})) == []
    [change] = diff(hook, have(), headers=frozenset({"X-Team", "X-Old"}))
    assert change.after == {"custom_headers": ["Authorization", "X-Team"]}
    assert change.payload.body["custom_headers"] == [{"key": "Authorization", "value": HEADER.reveal()}]
    assert change.payload.drop_headers == ("X-Old",)
    [rotated] = diff(hook, have(), headers=frozenset({"Authorization", "X-Team"}), rotate=True)
    assert [h["key"] for h in rotated.payload.body["custom_headers"]] == ["Authorization", "X-Team"]
    assert HEADER.reveal() not in str(rotated.public())


def test_an_older_gitlab_gets_findings_and_the_rest_is_managed() -> None:
    hook = Webhook(url=URL, events=["job_events"], name="chat", custom_headers={"X": "1234"})
    changes = diff(hook, have(), server=Version(17, 0, 0, "ce"))
    assert [(c.action, (c.after or {}).get("needs")) for c in changes] == [
        (Action.UNSUPPORTED, "needs GitLab 17.1"),
        (Action.UNSUPPORTED, "needs GitLab 17.1"),
        (Action.UPDATE, None),
    ]
    assert changes[-1].after == {"events": ["job_events"]}


def test_a_password_in_a_url_is_never_shown() -> None:
    url = "https://deploy:pw-in-url-9d8c@ci.example.com/trigger?x=1"
    assert display_url(url) == f"https://deploy:{SENSITIVE}@ci.example.com/trigger?x=1"
    [change] = diff(Webhook(url=url), None)
    assert "pw-in-url-9d8c" not in str(change.public()) and change.target.endswith(
        "@ci.example.com/trigger?x=1"
    )
    extra = diff_webhooks(
        "webhooks", Webhooks(prune=True), ObservedHooks(NEW, (have(url=url),)), {}, PlanOptions()
    )
    assert [c.action for c in extra] == [Action.DELETE] and "pw-in-url-9d8c" not in str(extra[0].public())
    assert to_record({"id": 1, "url": url}).url == url  # kept whole for comparing


def test_the_inventory_refuses_what_gitlab_would() -> None:
    with pytest.raises(ValueError, match="http"):
        Webhook(url="ftp://x")
    with pytest.raises(ValueError, match="same URL"):
        Webhooks(hooks=[Webhook(url=URL), Webhook(url=URL)])
    with pytest.raises(ValueError, match="too short"):
        Webhook(url="https://u:ab@x.example")
    with pytest.raises(ValueError, match="env:NAME"):
        Webhook(url=URL, secret="TOKEN")


def test_a_filter_gitlab_would_drop_is_refused() -> None:
    with pytest.raises(ValueError, match="all_branches"):
        Webhook(url=URL, branch_filter_strategy="all_branches", push_events_branch_filter="main")
