"""Injected faults, latency, the rate limiter and the request counters.

Fault injection, latency, the counters and `/-/sandbox/*` are the sandbox's own contract, not GitLab's
(DESIGN.md "The sandbox"; admin.py and faults.py document them): REFERENCE has nothing to cite for them.
Where a test checks an answer GitLab gives (429, rate-limit headers), it cites REFERENCE 1.7.
"""

from __future__ import annotations

import time

import pytest
import requests

from provisioner.sandbox.faults import Latency
from provisioner.sandbox.seed import DANA_TOKEN

VARS = "/projects/platform%2Fbilling/variables"
ROUTE = "POST /api/v4/projects/:id/variables"


def _keys(sandbox):
    return {v["key"] for v in sandbox.api.get(VARS).json()}


def test_error_fault_is_not_processed(sandbox):
    """Sandbox contract, not GitLab: kind `error` answers 5xx JSON and the request is not processed."""
    sandbox.faults(script=[{"route": ROUTE, "kind": "error", "status": 502}])
    response = sandbox.api.post(VARS, json={"key": "A", "value": "1"})
    assert response.status_code == 502 and response.json() == {"message": "502 Bad Gateway"}
    assert "A" not in _keys(sandbox)


def test_drop_before_is_not_processed(sandbox):
    """Sandbox contract, not GitLab: kind `drop_before` closes the connection without an answer; nothing
    changed."""
    sandbox.faults(script=[{"route": ROUTE, "kind": "drop_before"}])
    with pytest.raises(requests.ConnectionError):
        sandbox.api.post(VARS, json={"key": "B", "value": "1"})
    assert "B" not in _keys(sandbox)


def test_drop_after_is_processed_but_unanswered(sandbox):
    """Sandbox contract, not GitLab: kind `drop_after` changes state, then drops the connection: the client
    never learns."""
    sandbox.faults(script=[{"route": ROUTE, "kind": "drop_after"}])
    with pytest.raises(requests.ConnectionError):
        sandbox.api.post(VARS, json={"key": "C", "value": "1"})
    assert "C" in _keys(sandbox)


def test_timeout_is_processed_and_withheld(sandbox):
    """Sandbox contract, not GitLab: kind `timeout` processes the request, then withholds the answer."""
    sandbox.faults(timeout_seconds=5, script=[{"route": ROUTE, "kind": "timeout"}])
    with pytest.raises(requests.Timeout):
        sandbox.api.post(VARS, json={"key": "D", "value": "1"}, timeout=0.3)
    assert "D" in _keys(sandbox)


def test_scripted_fault_after_and_times(sandbox):
    """Sandbox contract, not GitLab: a script lets `after` matching requests through, then faults `times` of
    them."""
    sandbox.faults(script=[{"route": "GET /api/v4/version", "kind": "error", "after": 1, "times": 2}])
    statuses = [sandbox.api.get("/version").status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]


def test_python_gitlab_create_after_drop_after_finds_the_created_runner(sandbox):
    """Sandbox contract, not GitLab: the runner is created even though the client saw a dropped connection."""
    sandbox.faults(script=[{"route": "POST /api/v4/user/runners", "kind": "drop_after"}])
    before = len(sandbox.api.get("/runners/all").json())
    gl = sandbox.gl()
    gl.auth()
    with pytest.raises(requests.ConnectionError):
        gl.user.runners.create({"runner_type": "instance_type"})
    assert len(sandbox.api.get("/runners/all").json()) == before + 1


def _outcomes(sandbox, count):
    outcomes = []
    for _ in range(count):
        try:
            outcomes.append(sandbox.api.get("/version", timeout=2).status_code)
        except requests.ConnectionError:
            outcomes.append("dropped")
    return outcomes


def test_random_faults_are_reproducible_with_a_seed(sandbox):
    """Sandbox contract, not GitLab: --fault-rate picks faults with a seeded RNG, so a run is reproducible."""
    sandbox.faults(rate=0.4, seed=11, kinds=["error", "drop_before", "drop_after"])
    first = _outcomes(sandbox, 30)
    sandbox.faults(rate=0.4, seed=11, kinds=["error", "drop_before", "drop_after"])
    second = _outcomes(sandbox, 30)
    assert first == second
    assert 200 in first and "dropped" in first and set(first) & {500, 502, 503}
    sandbox.faults(rate=0.0)
    assert _outcomes(sandbox, 5) == [200] * 5


def test_latency_is_seeded_and_applied(sandbox):
    """Sandbox contract, not GitLab: latency jitter comes from the seeded RNG; requests are delayed."""

    def delays(seed):
        latency = Latency(40, seed)
        return [latency.next_delay() for _ in range(5)]

    assert delays(5) == delays(5) != delays(6)
    assert all(0.02 <= d <= 0.06 for d in delays(5))
    sandbox.faults(latency_ms=60, seed=1)
    started = time.perf_counter()
    sandbox.api.get("/version")
    assert time.perf_counter() - started >= 0.03


def test_rate_limit_headers_only_on_a_429_by_default(sandbox):
    """GitLab says RateLimit-* on throttled answers [G:lib/gitlab/rack_attack.rb
    `throttled_response_headers`]; on others only with the feature flag
    rate_limiting_headers_for_unthrottled_requests (18.6, off by default)
    [G:lib/gitlab/middleware/rack_attack_headers.rb]. REFERENCE 1.7 says every answer: the source wins."""
    sandbox.server.app.runtime.limiter.clock = lambda: 1_800_000_010.0
    assert sandbox.admin.post("/-/sandbox/rate-limit", json={"per_minute": 1}).json() == {
        "per_minute": 1,
        "headers_on_every_answer": False,
    }
    allowed, throttled = sandbox.api.get("/version"), sandbox.api.get("/version")
    assert allowed.status_code == 200 and not [
        h for h in allowed.headers if h.lower().startswith("ratelimit")
    ]
    assert throttled.status_code == 429
    assert (throttled.headers["RateLimit-Limit"], throttled.headers["RateLimit-Remaining"]) == ("1", "0")
    assert throttled.headers["RateLimit-Reset"] == "1800000060" and throttled.headers["Retry-After"] == "50"
    refused = sandbox.admin.post(
        "/-/sandbox/rate-limit", json={"per_minute": 1, "headers_on_every_answer": "yes"}
    )
    assert refused.status_code == 400


def test_rate_limit_headers_and_429(sandbox):
    """REFERENCE 1.7, on an instance whose flag says RateLimit-* on every answer; 429 text/plain Retry
    later, not processed."""
    sandbox.server.app.runtime.limiter.clock = lambda: 1_800_000_010.0  # 50 s before the window resets
    sandbox.admin.post("/-/sandbox/rate-limit", json={"per_minute": 2, "headers_on_every_answer": True})
    first = sandbox.api.get("/version")
    assert first.headers["RateLimit-Name"] == "throttle_authenticated_api"
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Observed"]) == ("2", "1")
    assert first.headers["RateLimit-Remaining"] == "1"
    assert first.headers["RateLimit-Reset"] == "1800000060"
    assert sandbox.api.get("/version").headers["RateLimit-Remaining"] == "0"
    throttled = sandbox.api.post(VARS, json={"key": "E", "value": "1"})
    assert throttled.status_code == 429
    assert throttled.headers["Content-Type"].startswith("text/plain")
    assert throttled.text.strip() == "Retry later"
    assert throttled.headers["Retry-After"] == "50"
    assert throttled.headers["RateLimit-ResetTime"].endswith("GMT")
    assert sandbox.as_user(DANA_TOKEN).get("/version").status_code == 200  # per token
    sandbox.admin.post("/-/sandbox/rate-limit", json={"per_minute": 0})
    assert "E" not in _keys(sandbox)
    assert "RateLimit-Limit" not in sandbox.api.get("/version").headers


def test_rate_limit_is_said_per_minute_and_its_429s_are_counted(sandbox):
    """GitLab says RateLimit-Limit per minute whatever its period [G:lib/gitlab/rack_attack.rb
    `throttled_response_headers`]: a 1 s window of 2 is said as 120. Sandbox contract: the rate
    limit's 429s are counted as `throttled` in GET /-/sandbox/requests, zeroed by its reset."""
    runtime = sandbox.server.app.runtime
    runtime.limiter.window = 1.0
    runtime.limiter.clock = lambda: 1_800_000_010.25
    sandbox.admin.post("/-/sandbox/rate-limit", json={"per_minute": 2})
    sandbox.admin.post("/-/sandbox/requests/reset")
    answers = [sandbox.api.get("/version") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["RateLimit-Limit"] == "120"
    assert answers[2].headers["RateLimit-Reset"] == "1800000011"
    assert sandbox.admin.get("/-/sandbox/requests").json()["throttled"] == 1
    assert sandbox.admin.post("/-/sandbox/requests/reset").json()["throttled"] == 0
    assert sandbox.admin.get("/-/sandbox/requests").json()["throttled"] == 0


def test_counters_by_method_route_and_writes(sandbox):
    """Sandbox contract, not GitLab: GET /-/sandbox/requests counts API requests; writes exclude GET, HEAD and
    GraphQL."""
    sandbox.reset_counters()
    sandbox.api.get("/projects/1")
    sandbox.api.get("/projects/platform%2Fpayments")
    sandbox.api.head("/projects/platform%2Flibs%2Fcommon-utils/repository/files/README.md?ref=main")
    sandbox.api.put("/projects/1", json={"description": "x"})
    sandbox.admin.post("/api/graphql", json={"query": "{ currentUser { id } }"})
    counters = sandbox.counters()
    assert counters["total"] == 5
    assert counters["by_method"] == {"GET": 2, "HEAD": 1, "PUT": 1, "POST": 1}
    assert counters["by_route"]["GET /api/v4/projects/:id"] == 2
    assert counters["by_route"]["PUT /api/v4/projects/:id"] == 1
    assert counters["by_route"]["HEAD /api/v4/projects/:id/repository/files/:file_path"] == 1
    assert counters["writes"] == 1
    sandbox.reset_counters()
    assert sandbox.counters() == {"total": 0, "writes": 0, "by_method": {}, "by_route": {}, "throttled": 0}


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        (None, 401, {"message": "401 Unauthorized"}),
        ("glpat-not-a-token", 401, {"message": "401 Unauthorized"}),
        (DANA_TOKEN, 403, {"message": "403 Forbidden"}),
    ],
)
def test_admin_routes_refuse_all_but_the_admin_token(sandbox, token, status, body):
    """Sandbox contract, not GitLab, with GitLab's answers (REFERENCE 1.1, 1.4): 401 without a valid
    token, 403 for a valid token of a user who is not an administrator."""
    for method, path in (("GET", "/-/sandbox/requests"), ("POST", "/-/sandbox/reset")):
        response = sandbox.admin.request(method, path, token=token, json={"seed": "empty"})
        assert (response.status_code, response.json()) == (status, body)
    assert sandbox.api.get("/projects/platform%2Fbilling").status_code == 200  # the reset was refused


def test_admin_routes_are_never_counted(sandbox):
    """Sandbox contract, not GitLab: /-/sandbox/* requests are not API requests."""
    sandbox.reset_counters()
    sandbox.counters()
    assert sandbox.counters()["total"] == 0


def test_throttle_fault_is_a_429_not_processed(sandbox):
    """Sandbox contract, not GitLab: kind `throttle` is never injected by default and, when asked for,
    answers GitLab's 429 (REFERENCE 1.7: text/plain, Retry-After) without processing the request."""
    sandbox.faults(script=[{"route": ROUTE, "kind": "throttle", "times": 2}])
    answers = [sandbox.api.post(VARS, json={"key": "T", "value": "1"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [429, 429]
    assert answers[0].text == "Retry later\n" and answers[0].headers["Retry-After"] == "1"
    assert "T" not in _keys(sandbox)
    assert sandbox.api.post(VARS, json={"key": "T", "value": "1"}).status_code == 201
    assert "throttle" not in sandbox.admin.post("/-/sandbox/faults", json={"rate": 0.1}).json()["kinds"]
