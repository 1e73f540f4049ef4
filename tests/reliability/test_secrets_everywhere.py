"""No secret value anywhere: every byte the tool writes (stdout, stderr, the log file, plan files, JSON
and JUnit reports) over runs that include failures, permission errors, drift, rotation and --debug
logging, holds no secret value, nor an encoding of one, nor a short hash prefix of one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from provisioner import secrets
from provisioner.cli import logs as cli_logs
from provisioner.sandbox.seed import DANA_TOKEN
from tests.reliability.conftest import cli, cli_env
from tests.support import Sandbox, run_cli

PYPI_TOKEN = "pypi-AgEIcHlwaS5vcmcCJGE0ZjM"
SSH_KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"
SSH_KEY = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{SSH_KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----"
DEPLOY_PASSWORD = "kr-deploy-pass-7f3e9a2b"
REPORTS_KEY = "rk_new_0a1b2c3d4e5f6789"
ROTATED_BY_SOMEONE = "rk_rotated_by_someone_42"
OLD_REPORTS_KEY = "rk_4f9a8b7c6d5e"  # the demo world's masked value, read back from GitLab
UNMASKABLE = "has spaces so GitLab cannot mask it"

INVENTORY = """\
version: 1
projects:
  platform/billing:
    settings: {build_timeout: 3600}
    variables:
      PYPI_TOKEN: {secret: "env:REL_PYPI_TOKEN", masked: true, protected: true}
      SSH_KEY: {secret: "file:secrets/ssh_key", variable_type: file}
      DEPLOY_PASSWORD: {secret: "keyring:team/deploy", masked: true, hidden: true}
  data/reports:
    variables:
      REPORTS_API_KEY: {secret: "env:REL_REPORTS_KEY", masked: true}
  platform/payments:
    variables:
      PAYMENTS_KEY: {secret: "env:REL_PYPI_TOKEN", masked: true}
  platform/auth-service:
    runners:
      create: [{description: auth-ci, tags: [docker], token: {file: tokens/auth-ci}}]
    registry:
      deploy_tokens:
        - {name: pull, scopes: [read_registry]}
        - {name: stuck, scopes: [read_registry], token: {file: blocker/stuck}}
"""


def variants(secret: str) -> set[str]:
    """The value, its common encodings, and the short hash prefixes a careless tool might print."""
    found = {secret, quote(secret, safe=""), base64.b64encode(secret.encode()).decode()}
    found |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for algorithm in ("md5", "sha1", "sha256"):
        digest = hashlib.new(algorithm, secret.encode()).hexdigest()
        found |= {digest[:7], digest[:8], digest[:12]}
    return found


def leaks(text: str, secret_values: list[str]) -> list[str]:
    return sorted(v for s in secret_values for v in variants(s) if v in text)


@pytest.fixture
def world(sandbox: Sandbox, workdir: Path) -> Path:
    (workdir / "inventory.yaml").write_text(INVENTORY)
    (workdir / "secrets").mkdir()
    (workdir / "secrets" / "ssh_key").write_text(SSH_KEY + "\n")
    store = f"import keyring\nkeyring.set_password('team', 'deploy', {DEPLOY_PASSWORD!r})\n"
    env = cli_env(sandbox, workdir)
    subprocess.run([sys.executable, "-c", store], env=env, check=True)
    return workdir


def test_no_secret_in_any_output_of_any_run(sandbox: Sandbox, world: Path) -> None:
    env = {"REL_PYPI_TOKEN": PYPI_TOKEN, "REL_REPORTS_KEY": REPORTS_KEY}
    outputs: list[str] = []

    def run(*args: str, expect: int, **extra: str) -> None:
        result = cli(sandbox, world, *args, **{**env, **extra})
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, (args, result.stdout[-3000:])

    run("plan", "--debug", "--out", "plan.json", "--detailed-exitcode", expect=2)
    run("plan", "--debug", "--format", "json", expect=0)
    # Failures: a variable cannot be created (5xx every time); a deploy token arrives but cannot be
    # stored (its folder is a file), so it is revoked again; the rest is applied.
    (world / "blocker").write_text("not a folder\n")
    sandbox.faults(script=[{"route": "POST /api/v4/projects/:id/variables", "kind": "error", "times": 4}])
    run("apply", "--yes", "--debug", "--concurrency", "1", expect=1)
    sandbox.faults(script=[])
    (world / "blocker").unlink()
    run("apply", "--plan", "plan.json", "--debug", expect=1)  # stale now: refused, nothing written
    run("apply", "--yes", "--debug", expect=0)
    # Someone rotates a masked value by hand: drift, in every report format.
    sandbox.api.put(
        "/projects/data%2Freports/variables/REPORTS_API_KEY",
        json={"value": ROTATED_BY_SOMEONE},
        params={"filter[environment_scope]": "*"},
    )
    run("check", "--debug", "--json", "check.json", "--junit", "check.xml", "--html", "check.html", expect=2)
    run("check", "--format", "json", expect=2)
    # A Developer's token: permission problems; a revoked one: 401.
    run("apply", "--yes", "--debug", expect=1, PROVISIONER_TOKEN=DANA_TOKEN)
    run("plan", "--debug", expect=1, PROVISIONER_TOKEN="glpat-not-a-valid-token-000")
    run("apply", "--yes", "--rotate", "--debug", expect=0)
    # Bad input naming a secret reference whose value GitLab could not mask.
    run("plan", "--debug", expect=1, REL_REPORTS_KEY=UNMASKABLE)

    files = ["plan.json", "check.json", "check.xml", "check.html", "provisioner.log"]
    everything = "\n".join(outputs + [(world / name).read_text() for name in files])
    assert "could not be stored" in everything and "token stored in" in everything  # tokens were in play
    one_time = [r.token for r in sandbox.state.runners.values()]
    one_time += [t.secret for t in sandbox.state.deploy_tokens.values()]
    assert (world / "tokens" / "auth-ci").read_text().strip() in one_time  # kept where it was asked
    assert "(sensitive)" in everything  # the values were in play, and shown as such
    assert "DEBUG" in everything  # --debug logging really ran
    secret_values = [
        sandbox.token,
        DANA_TOKEN,
        PYPI_TOKEN,
        SSH_KEY,
        SSH_KEY_BODY,
        DEPLOY_PASSWORD,
        REPORTS_KEY,
        ROTATED_BY_SOMEONE,
        OLD_REPORTS_KEY,
        UNMASKABLE,
        *one_time,  # runner and deploy tokens, the revoked ones included
    ]
    assert leaks(everything, secret_values) == []
    # The values did reach GitLab.
    pypi = sandbox.api.get("/projects/platform%2Fbilling/variables/PYPI_TOKEN").json()
    assert pypi["value"] == PYPI_TOKEN


def test_a_traceback_in_the_log_file_is_scrubbed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected error writes its traceback to the log file; a secret in it is scrubbed there too."""
    secret = "tb-secret-value-93c1f0"
    secrets.remember(secret)
    log_file = tmp_path / "provisioner.log"
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        cli_logs.setup(True, log_file)
        try:
            raise ValueError(f"the server said {secret!r} was wrong")
        except ValueError:
            logging.getLogger("provisioner").exception("unexpected error with %s", secret)
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], root.level = saved
    text = log_file.read_text() + capsys.readouterr().err
    assert "Traceback" in text and "ValueError" in text
    assert leaks(text, [secret]) == []


def test_a_token_given_on_the_command_line_is_refused(sandbox: Sandbox, world: Path) -> None:
    """The token never comes from argv, where `ps` and shell history would show it."""
    result = run_cli("plan", "--token", sandbox.token, env=cli_env(sandbox, world), cwd=world)
    assert result.returncode == 2  # usage error: there is no such option
    assert sandbox.token not in result.stdout + result.stderr


def test_rotate_rewrites_a_hidden_value_and_verifies_without_asking_again(
    sandbox: Sandbox, workdir: Path
) -> None:
    """Hidden values read back as null: verifying a rotation must not see it as still pending."""
    (workdir / "inventory.yaml").write_text(
        "version: 1\nprojects:\n  data/reports:\n    variables:\n"
        '      DB_PASSWORD: {secret: "env:REL_DB_PASSWORD", masked: true, hidden: true}\n'
    )
    rotated = cli(sandbox, workdir, "apply", "--yes", "--rotate", REL_DB_PASSWORD="Pg-rotated-2026-value")
    assert rotated.returncode == 0, rotated.stdout
    assert "variable DB_PASSWORD" in rotated.stdout and "did not stick" not in rotated.stdout
    reports_id = sandbox.api.get("/projects/data%2Freports").json()["id"]
    reports = sandbox.state.projects[reports_id]
    stored = next(v for v in reports.variables if v.key == "DB_PASSWORD")
    assert stored.value == "Pg-rotated-2026-value" and stored.hidden  # GitLab's API cannot show it
    again = cli(sandbox, workdir, "apply", "--yes", REL_DB_PASSWORD="Pg-rotated-2026-value")
    assert again.returncode == 0 and re.search(r"written +0 changes", again.stdout), again.stdout


@pytest.mark.parametrize(("value", "code"), [("", 1), ("abc", 1), ("abcd", 0)])
def test_a_secret_too_short_to_be_scrubbed_is_refused(
    sandbox: Sandbox, workdir: Path, value: str, code: int
) -> None:
    """Text that short cannot be scrubbed from output without mangling it: such a value would show."""
    (workdir / "inventory.yaml").write_text(
        'version: 1\nprojects:\n  a/b:\n    variables:\n      PIN: {secret: "env:REL_PIN"}\n'
    )
    result = cli(sandbox, workdir, "validate", REL_PIN=value)
    assert result.returncode == code, result.stderr
    if code:
        assert result.stderr.startswith("inventory.yaml:5:") and "variables.PIN.secret" in result.stderr
        assert "the value of env:REL_PIN has fewer than 4 characters" in result.stderr


ECHOED = 'pässwörd-"quoted"-\\back\\slash-7f3e9a2b'


@pytest.fixture
def echoing_gitlab() -> Iterator[str]:
    """A GitLab look-alike that refuses every write with a 400 whose body echoes what it was sent: once
    as GitLab's validation errors do (by field), once JSON-escaped inside a text message."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            sent = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            message: object = {
                "value": [f"{sent.get('value')} is invalid"],
                "key": [f"({sent.get('key')}) has already been taken"],
            }
            if self.path.endswith("/text"):
                message = f"400 Bad request - {json.dumps(sent)}"
            body = json.dumps({"message": message}).encode()
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_gitlabs_answer_to_a_write_that_carried_a_secret_is_never_shown_raw(echoing_gitlab: str) -> None:
    from provisioner.errors import Rejected
    from provisioner.gitlab.api import GitLabApi

    secrets.Secret(ECHOED, "env:ECHOED")  # resolved from the inventory: known to the process
    api = GitLabApi(echoing_gitlab, "glpat-echo-test-token", max_retries=0)
    try:
        with pytest.raises(Rejected) as by_field:
            api.post("/projects/7/variables", {"key": "API_KEY", "value": ECHOED})
        with pytest.raises(Rejected) as in_text:
            api.post("/projects/7/variables/text", {"key": "API_KEY", "value": ECHOED})
        with pytest.raises(Rejected) as plain:
            api.post("/projects/7/variables", {"key": "REGION", "value": "eu-west-1"})
    finally:
        api.close()
    for caught in (by_field, in_text):
        message = str(caught.value)
        assert leaks(message, [ECHOED]) == [] and "pässwörd" not in message and "\\u00e4" not in message
        assert "withheld" in message
    assert "key (API_KEY) has already been taken" in str(by_field.value)  # what is not about the secret
    assert "value eu-west-1 is invalid" in str(plain.value)  # a write without a secret: GitLab's words


HOOK_TOKEN = "rel-hook-token-6c5b4a39"
HOOK_ROTATED = "rel-hook-token-rotated-1d2e"
HOOK_HEADER = "Bearer rel-hook-header-8e7f"
URL_PASSWORD = "rel-url-pass-3a4b5c"
HOOKS_INVENTORY = f"""\
version: 1
projects:
  platform/billing:
    webhooks:
      hooks:
        - url: https://chat.example.com/hooks/billing
          events: [push_events, pipeline_events]
          secret: env:REL_HOOK_TOKEN
          custom_headers: {{Authorization: {{secret: "env:REL_HOOK_HEADER"}}}}
        - url: https://deploy:{URL_PASSWORD}@ci.example.com/trigger
          events: [tag_push_events]
          secret: file:secrets/hook_token
"""


def test_no_webhook_secret_in_any_output(sandbox: Sandbox, workdir: Path) -> None:
    """Webhook tokens, custom header values and a password in a hook's URL: through plan, apply, drift,
    --rotate, failures, --debug logging, every report format and import."""
    (workdir / "inventory.yaml").write_text(HOOKS_INVENTORY)
    (workdir / "secrets").mkdir()
    (workdir / "secrets" / "hook_token").write_text(HOOK_TOKEN + "\n")
    env = {"REL_HOOK_TOKEN": HOOK_TOKEN, "REL_HOOK_HEADER": HOOK_HEADER}
    outputs: list[str] = []

    def run(*args: str, expect: int, **extra: str) -> None:
        result = cli(sandbox, workdir, *args, **{**env, **extra})
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, (args, result.stdout[-3000:], result.stderr[-2000:])

    run("plan", "--debug", "--out", "plan.json", "--detailed-exitcode", expect=2)
    sandbox.faults(script=[{"route": "POST /api/v4/projects/:id/hooks", "kind": "error", "times": 4}])
    run("apply", "--yes", "--debug", "--concurrency", "1", expect=1)  # the first hook cannot be created
    sandbox.faults(script=[])
    run("apply", "--yes", "--debug", expect=0)
    hooks = sandbox.api.get("/projects/platform%2Fbilling/hooks").json()
    chat = next(h for h in hooks if "chat" in h["url"])
    sandbox.api.put(
        f"/projects/platform%2Fbilling/hooks/{chat['id']}", json={"url": chat["url"], "job_events": True}
    )
    run("check", "--debug", "--json", "check.json", "--junit", "check.xml", expect=2)
    run("check", "--format", "json", expect=2)
    run("apply", "--yes", "--rotate", "--debug", expect=0, REL_HOOK_TOKEN=HOOK_ROTATED)
    run("import", "platform", "--out", "imported.yaml", "--debug", expect=0)

    files = ["plan.json", "check.json", "check.xml", "provisioner.log", "imported.yaml"]
    everything = "\n".join(outputs + [(workdir / name).read_text() for name in files])
    assert "webhook https://deploy:(sensitive)@ci.example.com/trigger" in everything
    assert "DEBUG" in everything and "(sensitive)" in everything
    assert leaks(everything, [HOOK_TOKEN, HOOK_ROTATED, HOOK_HEADER, URL_PASSWORD, sandbox.token]) == []
    stored = {h.url: h for p in sandbox.state.projects.values() for h in p.hooks}
    assert (
        stored["https://chat.example.com/hooks/billing"].token == HOOK_ROTATED
    )  # the values did reach GitLab
    assert stored["https://chat.example.com/hooks/billing"].custom_headers == {"Authorization": HOOK_HEADER}


SCHEDULE_TOKEN = "sched-rel-token-4b7e1f"
SCHEDULE_FILE_KEY = "sched-file-key-93aa0c"
CHANGED_ON_GITLAB = "sched-changed-by-hand-77"

SCHEDULES = """\
version: 1
projects:
  platform/billing:
    settings: {ci_pipeline_variables_minimum_override_role: maintainer}
    pipeline_schedules:
      schedules:
        nightly:
          cron: "0 3 * * *"
          variables:
            TOKEN: {secret: "env:REL_SCHED_TOKEN"}
            KEY: {secret: "file:secrets/key"}
"""


def test_no_schedule_variable_value_in_any_output(sandbox: Sandbox, workdir: Path) -> None:
    """Schedule variables' values (by reference, or as GitLab has them) are never shown: plans, reports,
    logs and `import` say (sensitive) or leave them out."""
    (workdir / "inventory.yaml").write_text(SCHEDULES)
    (workdir / "secrets").mkdir()
    (workdir / "secrets" / "key").write_text(SCHEDULE_FILE_KEY + "\n")
    outputs: list[str] = []

    def run(*args: str, expect: int) -> None:
        result = cli(sandbox, workdir, *args, REL_SCHED_TOKEN=SCHEDULE_TOKEN)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == expect, (args, result.stdout[-3000:])

    run("plan", "--debug", "--out", "plan.json", "--detailed-exitcode", expect=2)
    run("apply", "--yes", "--debug", expect=0)
    (schedule,) = sandbox.api.get("/projects/platform%2Fbilling/pipeline_schedules").json()
    variables = f"/projects/platform%2Fbilling/pipeline_schedules/{schedule['id']}/variables"
    sandbox.api.put(f"{variables}/TOKEN", json={"value": CHANGED_ON_GITLAB})
    run("check", "--debug", "--json", "check.json", "--junit", "check.xml", expect=2)
    run("plan", "--format", "json", expect=0)
    run("import", "platform", "--out", "imported.yaml", "--debug", expect=0)
    run("apply", "--yes", "--debug", expect=0)

    files = ["plan.json", "check.json", "check.xml", "provisioner.log", "imported.yaml"]
    everything = "\n".join(outputs + [(workdir / name).read_text() for name in files])
    assert "(sensitive)" in everything and "value_unmanaged: true" in everything
    assert leaks(everything, [SCHEDULE_TOKEN, SCHEDULE_FILE_KEY, CHANGED_ON_GITLAB]) == []
    values = {v["key"]: v["value"] for v in sandbox.api.get(variables.rsplit("/", 1)[0]).json()["variables"]}
    assert values == {"TOKEN": SCHEDULE_TOKEN, "KEY": SCHEDULE_FILE_KEY}  # they did reach GitLab
