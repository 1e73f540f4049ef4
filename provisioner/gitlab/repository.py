"""Repository files, commits, branches and merge requests (REFERENCE 2.10 to 2.13). GitLab's quirks live here.

- What a file holds is learnt from `HEAD` (`X-Gitlab-Content-Sha256`, `X-Gitlab-Last-Commit-Id`), without
  downloading it; contents are read only when asked for.
- A commit through the Commits API is atomic. GitLab refuses it with 400 when a file changed since its
  `last_commit_id`, when a file to create exists or a file to update is gone: each means someone pushed
  since we looked, and becomes `StaleCommit` (never retried). `Files::MultiService#validate` says so
  first, in its words; Gitaly's index check says it again in its own when a push lands in between
  [G:app/services/files/multi_service.rb, lib/gitlab/gitaly_client/operation_service.rb
  index_error_message]. So a plan made on a stale view of the files (read in bulk) ends in a refused
  commit, nothing written, and the run plans again.
- After a commit to the default branch, the branch holds exactly what was committed: the hashes of the
  committed files are kept as the commit's answer, and verification does not look at them again.
- A commit's POST is not retried by the transport when its outcome is unknown: `commit` looks at the branch
  first, and tries again only when nothing landed (the same guards make a second attempt safe).
- A commit to a branch the token may not push to is refused with 403 "You are not allowed to push into
  this branch" before anything is looked at or written (`authorize_push_to_branch!`, GitLab's
  `can_push_to_branch?`, the very check behind the Branches API's `can_push`) [G:lib/api/commits.rb]:
  `PushRefused`, so that a caller may commit straight away and propose instead on that refusal.
- A second open merge request for a source branch is refused with 409 and an *array* message naming the
  existing one (`!60`): that one is updated instead.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provisioner.errors import Forbidden, ProvisionerError, Rejected, Stale
from provisioner.gitlab import cache, projects
from provisioner.gitlab.api import GitLabApi
from provisioner.gitlab.cache import MISSING
from provisioner.gitlab.graphql_files import blob_key
from provisioner.gitlab.once import create_once
from provisioner.gitlab.transport import encode

FILE_HASHES = "file_hashes"
"""Cache key, per project id: {path: FileHead | None} on the project's default branch. A bulk reader may
fill it for many projects at once; paths it does not cover are read one by one."""

_STALE = (
    "has changed since you started editing it",
    # Files::MultiService#validate_create / #validate_file_exists [G:app/services/files/multi_service.rb]
    "could not be committed because a file with the name",
    "File to be updated",
    # Gitaly, when the branch moved after the validation [G:lib/gitlab/gitaly_client/operation_service.rb]
    "A file with this name already exists",
    "A file with this name doesn't exist",
)
_PROPOSAL = re.compile(r"<!-- provisioner-proposal: ([0-9a-f]{64}) -->")


class StaleCommit(Stale):
    """The branch moved since the plan was made: nothing was committed."""

    def __init__(self, branch: str, reason: str) -> None:
        super().__init__(f"{branch} changed since the plan was made ({reason}): nothing committed")


class PushRefused(ProvisionerError):
    """The token may not push to the branch (protection rules): nothing was committed."""

    def __init__(self, branch: str) -> None:
        super().__init__(f"this token may not push to {branch}: nothing committed")
        self.branch = branch


# `authorize_push_to_branch!` [G:lib/api/commits.rb]; GitLab EE's code owners check answers 403 too,
# in other words: that one stays an error, as it was when `can_push` was read first.
_PUSH_REFUSED = "You are not allowed to push into this branch"


class UnreadableContent(ProvisionerError):
    """A file that is not UTF-8 text (or vanished between its HEAD and its GET)."""


@dataclass(frozen=True)
class FileHead:
    sha256: str
    last_commit_id: str | None = None  # None when a bulk reader could not tell


@dataclass(frozen=True)
class Branch:
    name: str
    commit_id: str
    can_push: bool  # for this token, protection rules included
    head_message: str = ""  # the message of the commit the branch points at


@dataclass(frozen=True)
class MergeRequest:
    iid: int
    web_url: str
    sha: str | None  # the source branch's head; None when the branch is gone
    proposal: str | None  # what the tool proposed in it, from the marker in its description
    open: bool = True  # False: an update's answer said it was closed or merged (since it was read)


def file_heads(
    api: GitLabApi, project_id: int, ref: str, paths: Iterable[str], *, default_branch: bool
) -> dict[str, FileHead | None]:
    """Each path's hash on `ref` (None: missing). On the default branch, bulk-read hashes come first."""
    known = cache.bulk_only(api, project_id, FILE_HASHES) if default_branch else MISSING
    heads: dict[str, FileHead | None] = {}
    for path in paths:
        if known is not MISSING and path in known:
            heads[path] = known[path]
            continue
        blob = cache.bulk_only(api, project_id, blob_key(path)) if default_branch else MISSING
        if blob is not MISSING:  # read in bulk (GraphQL): no last commit id, which apply looks up
            heads[path] = None if blob is None else FileHead(blob.content_sha256)
            continue
        headers = api.head(f"/projects/{project_id}/repository/files/{encode(path)}", ref=ref)
        if headers is None:
            heads[path] = None
            continue
        lowered = {k.lower(): v for k, v in headers.items()}  # real GitLab capitalises, proxies may not
        heads[path] = FileHead(lowered["x-gitlab-content-sha256"], lowered.get("x-gitlab-last-commit-id"))
    return heads


def read_in_bulk(api: GitLabApi, project_id: int, path: str) -> str | None:
    """A file's text at the default branch if a bulk read brought it along (no request); else None."""
    blob = cache.bulk_only(api, project_id, blob_key(path))
    return None if blob is MISSING or blob is None else blob.content


def read_text(api: GitLabApi, project_id: int, path: str, ref: str, *, default_branch: bool = False) -> str:
    text = read_in_bulk(api, project_id, path) if default_branch else None
    if text is not None:
        return text
    found = api.get_optional(f"/projects/{project_id}/repository/files/{encode(path)}", ref=ref)
    if found is None:
        raise UnreadableContent(f"{path} vanished from {ref} while being read; run again")
    try:
        return base64.b64decode(found["content"]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UnreadableContent(f"{path} on {ref} is not UTF-8 text") from None


def branch(api: GitLabApi, project_id: int, name: str) -> Branch | None:
    found = api.get_optional(f"/projects/{project_id}/repository/branches/{encode(name)}")
    if found is None:
        return None
    head = found["commit"]
    return Branch(
        str(found["name"]), str(head["id"]), bool(found.get("can_push")), str(head.get("message") or "")
    )


def commit(
    api: GitLabApi,
    project_id: int,
    *,
    branch: str,
    message: str,
    actions: Sequence[Mapping[str, Any]],
    start_branch: str | None = None,
    default_branch: bool = False,
) -> None:
    """One commit with every action. With `start_branch`, `branch` is (re)made from it (`force`).
    `default_branch`: `branch` is the project's default branch, whose files the run keeps."""
    data: dict[str, Any] = {"branch": branch, "commit_message": message, "actions": list(actions)}
    if start_branch is not None:
        data |= {"start_branch": start_branch, "force": True}
    path = f"/projects/{project_id}/repository/commits"
    try:
        answer = _post_commit(api, project_id, path, data)
    except PushRefused:
        raise  # refused before anything was looked at: what was read of the files still holds
    except BaseException:
        _forget_files(api, project_id, actions)  # refused, or landed unseen: read them again
        raise
    if default_branch:
        _committed(api, project_id, actions, answer.get("id") if isinstance(answer, Mapping) else None)


def _post_commit(api: GitLabApi, project_id: int, path: str, data: Mapping[str, Any]) -> Any:
    branch, actions = str(data["branch"]), data["actions"]
    try:
        return create_once(
            lambda: api.post(path, data), lambda: {} if _landed(api, project_id, branch, actions) else None
        )
    except Rejected as exc:
        if exc.status == 400 and went_stale(exc.message):
            raise StaleCommit(branch, exc.message) from exc
        raise
    except Forbidden as exc:
        if _PUSH_REFUSED in exc.message:
            raise PushRefused(branch) from exc
        raise
    finally:
        projects.committed(api, project_id)  # even one whose outcome is unknown may have landed


def went_stale(refusal: str) -> bool:
    """Whether GitLab refused a commit because the branch is not what the plan saw."""
    return any(reason in refusal for reason in _STALE)


def _committed(api: GitLabApi, project_id: int, actions: Sequence[Mapping[str, Any]], commit: Any) -> None:
    """The default branch holds exactly the contents just committed: their hashes are kept as the
    commit's answer shows them (the commit is each file's last commit), and what a bulk read said of
    those files before goes."""
    heads = {
        str(a["file_path"]): FileHead(
            hashlib.sha256(str(a["content"]).encode("utf-8")).hexdigest(), str(commit) if commit else None
        )
        for a in actions
    }
    known = cache.bulk_only(api, project_id, FILE_HASHES)
    cache.shown(api, project_id, FILE_HASHES, {**(known if known is not MISSING else {}), **heads})
    for path in heads:
        cache.unknown(api, project_id, blob_key(path))


def _forget_files(api: GitLabApi, project_id: int, actions: Sequence[Mapping[str, Any]]) -> None:
    cache.unknown(api, project_id, FILE_HASHES)
    for action in actions:
        cache.unknown(api, project_id, blob_key(str(action["file_path"])))


def _landed(api: GitLabApi, project_id: int, ref: str, actions: Sequence[Mapping[str, Any]]) -> bool:
    paths = [str(a["file_path"]) for a in actions]
    heads = file_heads(api, project_id, ref, paths, default_branch=False)
    return all(
        (head := heads[str(a["file_path"])]) is not None
        and head.sha256 == hashlib.sha256(str(a["content"]).encode("utf-8")).hexdigest()
        for a in actions
    )


def proposals_key(source: str) -> str:
    """Cache key, per project id: the open merge requests from `source`, newest first, as (target
    branch, MergeRequest) pairs. A bulk reader may fill it (graphql_proposals)."""
    return f"open_merge_requests:{source}"


def open_merge_request(api: GitLabApi, project_id: int, source: str, target: str) -> MergeRequest | None:
    """The open merge request from `source` into `target` (the newest), as a bulk read or GitLab says."""
    known = cache.bulk_only(api, project_id, proposals_key(source))
    if known is not MISSING:
        return next((mr for into, mr in known if into == target), None)
    return _listed_open(api, project_id, source, target)


def _listed_open(api: GitLabApi, project_id: int, source: str, target: str) -> MergeRequest | None:
    found = api.list(
        f"/projects/{project_id}/merge_requests", state="opened", source_branch=source, target_branch=target
    )
    return _record(found[0]) if found else None


def propose(
    api: GitLabApi,
    project_id: int,
    *,
    source: str,
    target: str,
    title: str,
    description: str,
    existing: int | None,
) -> MergeRequest:
    """Update merge request `existing`, or open one; never a second one for `source`. `existing` may
    come from a bulk read gone stale: one closed or merged since is not reused (its update's answer
    says so), and one opened since is found by GitLab's 409."""
    cache.unknown(api, project_id, proposals_key(source))  # whatever was read of it no longer holds
    if existing is not None:
        updated = _update(api, project_id, existing, title, description)
        if updated.open:
            return updated
    data = {
        "source_branch": source,
        "target_branch": target,
        "title": title,
        "description": description,
        "remove_source_branch": True,
    }
    path = f"/projects/{project_id}/merge_requests"

    def opened() -> MergeRequest | None:
        found = _listed_open(api, project_id, source, target)
        return None if found is None else _update(api, project_id, found.iid, title, description)

    try:
        return create_once(lambda: _record(api.post(path, data)), opened)
    except Rejected as exc:
        iid = re.search(r"already exists for this source branch: !(\d+)", exc.message)
        if exc.status != 409 or iid is None:
            raise
        return _update(api, project_id, int(iid.group(1)), title, description)


def close_merge_request(api: GitLabApi, project_id: int, iid: int) -> None:
    api.put(f"/projects/{project_id}/merge_requests/{iid}", {"state_event": "close"})


def proposal_marker(proposal: str) -> str:
    """An HTML comment (invisible in GitLab's rendering) that says what a merge request proposes."""
    return f"<!-- provisioner-proposal: {proposal} -->"


def _update(api: GitLabApi, project_id: int, iid: int, title: str, description: str) -> MergeRequest:
    data = {"title": title, "description": description}
    return _record(api.put(f"/projects/{project_id}/merge_requests/{iid}", data))


def _record(entity: Mapping[str, Any]) -> MergeRequest:
    found = proposal_record(
        entity["iid"], entity.get("web_url"), entity.get("sha"), entity.get("description")
    )
    return found if entity.get("state", "opened") == "opened" else dataclasses.replace(found, open=False)


def proposal_record(iid: Any, web_url: Any, sha: Any, description: Any) -> MergeRequest:
    """A merge request as REST or GraphQL shows it (`iid` is a string in GraphQL)."""
    marker = _PROPOSAL.search(str(description or ""))
    return MergeRequest(
        iid=int(iid),
        web_url=str(web_url or ""),
        sha=None if sha is None else str(sha),
        proposal=marker.group(1) if marker else None,
    )
