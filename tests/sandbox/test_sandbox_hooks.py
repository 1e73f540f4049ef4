"""Project webhooks [G:lib/api/project_hooks.rb, lib/api/helpers/web_hooks_helpers.rb,
lib/api/entities/hook.rb, app/models/concerns/web_hooks/hook.rb, doc/api/project_webhooks.md]."""

from __future__ import annotations

from tests.support import Sandbox

HOOKS = "/projects/platform%2Fbilling/hooks"
TOKEN = "hook-token-5f1e2d3c"


def _create(sandbox: Sandbox, **body: object) -> dict:
    answer = sandbox.api.post(HOOKS, json={"url": "https://chat.example.com/hook", **body})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_the_token_and_header_values_are_never_shown(sandbox: Sandbox) -> None:
    hook = _create(
        sandbox,
        token=TOKEN,
        push_events=False,
        pipeline_events=True,
        custom_headers=[{"key": "X-Team", "value": "platform-header-value"}],
    )
    single = sandbox.api.get(f"{HOOKS}/{hook['id']}")
    listed = sandbox.api.get(HOOKS)
    for text in (single.text, listed.text):
        assert TOKEN not in text and "platform-header-value" not in text
    assert single.json()["custom_headers"] == [{"key": "X-Team"}]
    assert "custom_headers" not in listed.json()[0] and "url_variables" not in listed.json()[0]
    assert single.json()["pipeline_events"] is True and single.json()["push_events"] is False


def test_put_merges_custom_headers_and_a_delete_removes_one(sandbox: Sandbox) -> None:
    hook = _create(sandbox, custom_headers=[{"key": "A", "value": "1111"}])
    path = f"{HOOKS}/{hook['id']}"
    sandbox.api.put(path, json={"url": hook["url"], "custom_headers": [{"key": "B", "value": "2222"}]})
    assert sandbox.api.get(path).json()["custom_headers"] == [{"key": "A"}, {"key": "B"}]
    assert sandbox.api.delete(f"{path}/custom_headers/A").status_code == 204
    assert sandbox.api.get(path).json()["custom_headers"] == [{"key": "B"}]


def test_a_new_url_without_a_token_drops_the_token(sandbox: Sandbox) -> None:
    hook = _create(sandbox, token=TOKEN)
    sandbox.api.put(f"{HOOKS}/{hook['id']}", json={"url": "https://other.example.com/hook"})
    stored = next(h for p in sandbox.state.projects.values() for h in p.hooks if h.id == hook["id"])
    assert stored.token is None


def test_refusals(sandbox: Sandbox) -> None:
    bad = sandbox.api.post(HOOKS, json={"url": "ftp://x"})
    assert (bad.status_code, bad.json()) == (422, {"message": "Invalid url given"})
    assert sandbox.api.post(HOOKS, json={}).status_code == 400
    hook = _create(sandbox)
    empty = sandbox.api.put(f"{HOOKS}/{hook['id']}", json={})
    assert (empty.status_code, empty.json()) == (400, {"message": "No parameters provided"})


def test_name_and_custom_headers_need_17_1(sandbox: Sandbox) -> None:
    sandbox.serve_version("17.0", "ce")
    hook = _create(sandbox, name="chat", custom_headers=[{"key": "A", "value": "1111"}])
    assert "name" not in hook and "custom_headers" not in hook
    assert sandbox.api.delete(f"{HOOKS}/{hook['id']}/custom_headers/A").status_code == 404


def test_group_hooks_are_premium_and_need_the_owner(sandbox: Sandbox, dana) -> None:
    """[G:doc/api/group_webhooks.md] 'Tier: Premium'; 'You must be an Administrator or have the Owner role'."""
    created = sandbox.api.post(
        "/groups/platform/hooks", json={"url": "https://g.example.com/h", "member_events": True}
    )
    assert (
        created.status_code == 201 and created.json()["group_id"] and created.json()["member_events"] is True
    )
    assert dana.get("/groups/platform/hooks").status_code == 403  # a Developer
    sandbox.serve_version("18.6", "ce")
    gone = sandbox.api.get("/groups/platform/hooks")
    assert (gone.status_code, gone.json()) == (404, {"error": "404 Not Found"})
