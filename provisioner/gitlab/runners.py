"""Runners (REFERENCE 2.4): list, create (POST /user/runners), update, assign, reset a token.

Runner creation is not idempotent and its `glrt-` token is shown once. When the answer to a create is
lost, the project's runners are listed again: a runner with the description we asked for means the
create landed and only its token was lost, so GitLab is asked for a new one
(`POST /runners/:id/reset_authentication_token`, allowed to whoever may update the runner
[G:lib/api/ci/runners.rb]) instead of creating a second runner.

A runner the tool creates carries `MARK` as the last line of its maintenance note: two runs that
created the same runner at once (on two machines) leave two marked runners, and the one whose token
nobody holds can be recognised and removed. A note a person writes stays theirs: `note` is without it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Forbidden, GitLabError, NotFound
from provisioner.gitlab import cache
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.cache import MISSING
from provisioner.gitlab.once import IssuedToken, create_once, post_once
from provisioner.secrets import Secret

PROJECT_TYPE = "project_type"
RUNNERS = "runners"
MARK = "[created by provisioner for runners.create]"
NOTE_LIMIT = 1024  # Ci::Runner `maintenance_note, length: { maximum: 1024 }` [G:app/models/ci/runner.rb]


@dataclass(frozen=True)
class RunnerRecord:
    """A runner as GitLab shows it (RunnerDetails), normalised: tags sorted, no deprecated fields."""

    id: int
    description: str
    runner_type: str = PROJECT_TYPE
    paused: bool = False
    tags: tuple[str, ...] = ()
    run_untagged: bool = True
    locked: bool = False
    access_level: str = "not_protected"
    maximum_timeout: int | None = None
    maintenance_note: str | None = None  # as GitLab has it, with the tool's mark when it carries one
    project_ids: tuple[int, ...] | None = None  # None: this GitLab does not list the runner's projects
    contacted: bool = False  # it has talked to GitLab (a runner process, or a verified token)

    @property
    def marked(self) -> bool:
        """The tool created it (see `MARK`)."""
        return (self.maintenance_note or "").rstrip().endswith(MARK)

    @property
    def note(self) -> str | None:
        """The maintenance note without the tool's mark."""
        if not self.marked:
            return self.maintenance_note
        return (self.maintenance_note or "").rstrip().removesuffix(MARK).rstrip("\n") or None


def with_mark(note: str | None) -> str:
    """The maintenance note of a runner the tool creates: a person's note, then the mark."""
    return f"{note}\n{MARK}" if note else MARK


@dataclass(frozen=True)
class Verification:
    """What `POST /runners/verify` says of a stored runner token."""

    valid: bool
    runner_id: int | None = None  # the runner it authenticates (GitLab >= 16.x answers it)


def to_record(entity: Mapping[str, Any]) -> RunnerRecord:
    projects = entity.get("projects")
    paused = entity.get("paused")
    return RunnerRecord(
        id=int(entity["id"]),
        description=str(entity.get("description") or ""),
        runner_type=str(entity.get("runner_type") or PROJECT_TYPE),
        # `active` is the deprecated inverse of `paused` (older servers send only that)
        paused=bool(paused) if paused is not None else not entity.get("active", True),
        tags=tuple(sorted(set(entity.get("tag_list") or ()))),
        run_untagged=bool(entity.get("run_untagged", True)),
        locked=bool(entity.get("locked")),
        access_level=str(entity.get("access_level") or "not_protected"),
        maximum_timeout=entity.get("maximum_timeout"),
        maintenance_note=entity.get("maintenance_note") or None,
        project_ids=tuple(int(p["id"]) for p in projects) if isinstance(projects, list) else None,
        contacted=bool(entity.get("contacted_at")),
    )


def project_runners(api: GitLabApi, project_id: int) -> list[RunnerRecord]:
    """The project runners assigned to the project, with their details (tags, flags)."""

    def fetch() -> tuple[RunnerRecord, ...]:
        listed = api.list(f"/projects/{project_id}/runners", type=PROJECT_TYPE)
        return tuple(to_record(api.get(f"/runners/{int(r['id'])}")) for r in listed)

    return list(cache.read(api, project_id, RUNNERS, fetch))


def runner(api: GitLabApi, runner_id: int) -> RunnerRecord | None:
    """The runner, or None when it is missing or this token may not see it (404, 403)."""
    try:
        entity = api.get_optional(f"/runners/{runner_id}")
    except Forbidden:
        return None
    return to_record(entity) if entity is not None else None


def available_runners(api: GitLabApi, tags: Sequence[str] = ()) -> list[RunnerRecord]:
    """Project runners this token may manage (GET /runners), carrying all `tags`; without details.

    Remembered for the run: many projects select among the same runners.
    """
    key = ",".join(sorted(tags))
    params: dict[str, Any] = {"type": PROJECT_TYPE}
    if tags:
        params["tag_list"] = key

    def fetch() -> tuple[RunnerRecord, ...]:
        return tuple(map(to_record, api.list("/runners", **params)))

    return list(cache.looked_up(api, "available_runners", key, fetch))


def create(api: GitLabApi, project_id: int, body: Mapping[str, Any]) -> IssuedToken:
    """Create a project runner, marked as the tool's (`MARK`), and return its token. Never two runners
    for one lost answer."""
    note = with_mark(body.get("maintenance_note"))
    data = {**body, "maintenance_note": note, "runner_type": PROJECT_TYPE, "project_id": project_id}

    def landed() -> IssuedToken | None:
        # It landed, but its token never reached us: a fresh one makes it usable.
        runner_id = _find(api, project_id, str(body["description"]))
        return (
            None
            if runner_id is None
            else IssuedToken(runner_id, _reset_or_remove(api, project_id, runner_id))
        )

    answered: list[IssuedToken] = []

    def post() -> IssuedToken:
        answered.append(_issued(api.post("/user/runners", data)))
        return answered[-1]

    try:
        issued = _issued_here(api, create_once(post, landed))
    except BaseException:
        cache.unknown(api, project_id, RUNNERS)
        raise
    record = _as_created(issued.id, project_id, data) if answered else None
    if record is None:  # found after a lost answer, or tags GitLab rewrites: read again
        cache.unknown(api, project_id, RUNNERS)
    else:
        cache.answered(api, project_id, RUNNERS, lambda kept: (*kept, record))
    return issued


def _as_created(runner_id: int, project_id: int, data: Mapping[str, Any]) -> RunnerRecord | None:
    """The runner a 201 to POST /user/runners stored: its answer says only `id, token,
    token_expires_at` [G:lib/api/entities/ci/runner_registration_details.rb], but the route takes each
    attribute typed (Grape answers 400 to a bad type or value), builds `Ci::Runner.new(params)` of exactly
    them, assigned to the project (`projects: [scope]`), and `save!`s it; a record GitLab will not store
    (RecordInvalid: tags, timeout, note length) answers 400 and nothing is kept
    [G:lib/api/user_runners.rb, app/services/ci/runners/create_runner_service.rb,
    runner_creation_strategies/project_runner_strategy.rb]. So a success stored what was sent -- except
    tags: `tag_list` is split on commas and stripped before it is stored
    [G:lib/api/validations/types/comma_separated_to_array.rb]; a tag that changes so is read again (None)."""
    tags = [str(tag) for tag in data.get("tag_list") or ()]
    if any("," in tag or tag != tag.strip() for tag in tags):
        return None
    note = data.get("maintenance_note")
    return RunnerRecord(
        id=runner_id,
        description=str(data.get("description") or ""),
        paused=bool(data.get("paused", False)),
        tags=tuple(sorted(set(tags))),
        run_untagged=bool(data.get("run_untagged", True)),
        locked=bool(data.get("locked", False)),
        access_level=str(data.get("access_level") or "not_protected"),
        maximum_timeout=data.get("maximum_timeout"),
        maintenance_note=str(note) if note else None,
        project_ids=(project_id,),
    )


def _find(api: GitLabApi, project_id: int, description: str) -> int | None:
    cache.unknown(api, project_id, RUNNERS)
    landed = [r.id for r in project_runners(api, project_id) if r.description == description]
    return max(landed, default=None)


def _reset_or_remove(api: GitLabApi, project_id: int, runner_id: int) -> Secret:
    try:
        return reset_token(api, runner_id)
    except GitLabError:
        # A runner whose token nobody holds is useless, and the next run would take it as done:
        # remove it so that the next run creates it afresh.
        with contextlib.suppress(GitLabError):
            delete(api, project_id, runner_id)
        raise


def verify(api: GitLabApi, token: Secret) -> Verification:
    """Whether a stored runner token still authenticates its runner: 403 when it does not
    [G:lib/api/ci/runner.rb, `post '/verify'`]. GitLab counts this as the runner contacting it
    (`authenticate_runner!` heartbeats: `contacted_at`), so it is asked only of tokens the tool keeps."""
    runner_id = api.cache.lookup(_ISSUED, _digest(token))
    if runner_id is not MISSING:
        # This run was handed the token: it authenticates that runner, and asking GitLab would mark
        # the runner as contacted, which is how a duplicate left by two runs at once is told from one
        # a runner process uses (runners_created): two racing runs verifying each other's fresh
        # tokens left duplicates that no later run could remove.
        return Verification(valid=True, runner_id=int(runner_id))
    try:  # asking again after a lost answer is safe: it only checks (create_once's retries)
        answer = create_once(lambda: api.post("/runners/verify", {"token": token.reveal()}), lambda: None)
    except Forbidden:
        return Verification(valid=False)
    found = answer.get("id") if isinstance(answer, Mapping) else None
    return Verification(valid=True, runner_id=int(found) if found is not None else None)


def reset_token(api: GitLabApi, runner_id: int) -> Secret:
    """A new authentication token for the runner. Asking again after a lost answer is safe: each
    reset revokes the previous token, so the lost one is worthless."""
    path = f"/runners/{runner_id}/reset_authentication_token"
    answer = create_once(lambda: api.post(path), lambda: None)
    return _issued_here(api, IssuedToken(runner_id, Secret(str(answer["token"])))).token


@contextlib.contextmanager
def _changing(api: GitLabApi, project_id: int) -> Iterator[None]:
    """No answer to these runner writes carries the runner as the project's list shows it (an update or
    a removal is made by runner id): the list is read again after. A create is known by what it sent
    (`_as_created`)."""
    try:
        yield
    finally:
        cache.unknown(api, project_id, RUNNERS)


def update(api: GitLabApi, project_id: int, runner_id: int, body: Mapping[str, Any]) -> None:
    with _changing(api, project_id):
        api.put(f"/runners/{runner_id}", dict(body))


def delete(api: GitLabApi, project_id: int, runner_id: int) -> None:
    with _changing(api, project_id), contextlib.suppress(NotFound):  # a retried DELETE: answer lost
        api.delete(f"/runners/{runner_id}")


def delete_unclaimed(api: GitLabApi, project_id: int, runner_id: int) -> None:
    """Delete a duplicate the tool made whose token nobody holds, as GitLab shows it now: the view that
    found it may be a bulk read from the start of the run, and a runner that has contacted GitLab since
    (a runner process took it up) or lost its mark is a person's now; it stays, and the plan after says
    so."""
    found = runner(api, runner_id)
    if found is None or found.contacted or not found.marked:
        cache.unknown(api, project_id, RUNNERS)
        return
    delete(api, project_id, runner_id)


def assign(api: GitLabApi, project_id: int, runner_id: int) -> None:
    def assigned() -> Any | None:
        cache.unknown(api, project_id, RUNNERS)
        return next((r for r in project_runners(api, project_id) if r.id == runner_id), None)

    with _changing(api, project_id):
        post_once(api, f"/projects/{project_id}/runners", {"runner_id": runner_id}, find=assigned)


def unassign(api: GitLabApi, project_id: int, runner_id: int) -> None:
    with (
        _changing(api, project_id),
        contextlib.suppress(NotFound),
    ):  # a retried DELETE whose first answer was lost
        api.delete(f"/projects/{project_id}/runners/{runner_id}")


_ISSUED = "issued_runner_token"  # run-long lookups: the digest of a token this run was handed -> runner id


def _digest(token: Secret) -> str:
    return hashlib.sha256(token.reveal().encode()).hexdigest()


def _issued_here(api: GitLabApi, issued: IssuedToken) -> IssuedToken:
    api.cache.remember(_ISSUED, _digest(issued.token), issued.id)
    return issued


def _issued(answer: Mapping[str, Any]) -> IssuedToken:
    return IssuedToken(int(answer["id"]), Secret(str(answer["token"])))
