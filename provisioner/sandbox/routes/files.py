"""Repository files: read (GET, HEAD, raw) and single-file writes (REFERENCE 2.10)."""

from __future__ import annotations

import base64
import hashlib

from starlette.responses import Response

from provisioner.sandbox.auth import find_project
from provisioner.sandbox.http import json_response, message, no_content, not_found, param_error
from provisioner.sandbox.repo import last_commit_id, resolve
from provisioner.sandbox.repo_write import require_readable_ref, write
from provisioner.sandbox.routes.commits import readable_project
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import Commit, Project

ROUTES = Routes()
FILE = "/projects/:id/repository/files/:file_path"


def _file(req: ApiRequest, *, ref_required: bool) -> tuple[Project, Commit, str, str, bytes]:
    project = readable_project(req)
    ref = req.params.str("ref")
    if ref is None and ref_required:
        raise param_error("ref is missing")
    commit = require_readable_ref(project, ref)
    path = req.path["file_path"]
    blob = commit.tree.get(path)
    if blob is None:
        raise not_found("File")
    return project, commit, ref or "HEAD", blob, req.state.blobs[blob]


def _headers(
    project: Project, commit: Commit, ref: str, path: str, blob: str, content: bytes
) -> dict[str, str]:
    return {
        "X-Gitlab-Blob-Id": blob,
        "X-Gitlab-Commit-Id": commit.id,
        "X-Gitlab-Content-Sha256": hashlib.sha256(content).hexdigest(),
        "X-Gitlab-Encoding": "base64",
        "X-Gitlab-File-Name": path.rsplit("/", 1)[-1],
        "X-Gitlab-File-Path": path,
        "X-Gitlab-Last-Commit-Id": last_commit_id(project, commit, path),
        "X-Gitlab-Ref": ref,
        "X-Gitlab-Size": str(len(content)),
        "X-Gitlab-Execute-Filemode": "true" if path in commit.executables else "false",
    }


@ROUTES.get(FILE, anonymous=True)
async def get_file(req: ApiRequest) -> Response:
    project, commit, ref, blob, content = _file(req, ref_required=True)
    path = req.path["file_path"]
    headers = _headers(project, commit, ref, path, blob, content)
    return json_response(
        {
            "file_name": headers["X-Gitlab-File-Name"],
            "file_path": path,
            "size": len(content),
            "encoding": "base64",
            "content": base64.b64encode(content).decode(),
            "content_sha256": headers["X-Gitlab-Content-Sha256"],
            "ref": ref,
            "blob_id": blob,
            "commit_id": commit.id,
            "last_commit_id": headers["X-Gitlab-Last-Commit-Id"],
            "execute_filemode": path in commit.executables,
        },
        headers=headers,
    )


@ROUTES.head(FILE, anonymous=True)
async def head_file(req: ApiRequest) -> Response:
    project, commit, ref, blob, content = _file(req, ref_required=True)
    return Response(b"", 200, headers=_headers(project, commit, ref, req.path["file_path"], blob, content))


@ROUTES.get(f"{FILE}/raw", anonymous=True)
async def raw_file(req: ApiRequest) -> Response:
    project, commit, ref, blob, content = _file(req, ref_required=False)
    headers = _headers(project, commit, ref, req.path["file_path"], blob, content)
    return Response(content, 200, headers=headers, media_type="text/plain; charset=utf-8")


def _write(req: ApiRequest, action: str) -> Commit:
    project = find_project(req)
    p = req.params
    required = ("branch", "commit_message") if action == "delete" else ("branch", "commit_message", "content")
    p.require(*required)
    path = req.path["file_path"]
    expected = p.str("last_commit_id")
    head = resolve(project, p.str("branch")) if p.str("branch") in project.repo.branches else None
    if (
        expected
        and head is not None
        and path in head.tree
        and last_commit_id(project, head, path) != expected
    ):
        # Wording from memory (REFERENCE 2.10).
        raise message(
            "You are attempting to update a file that has changed since you started editing it.", 400
        )
    entry: dict[str, object] = {"action": action, "file_path": path}
    if action != "delete":
        entry |= {"content": p.str("content"), "encoding": p.enum("encoding", ("text", "base64"), "text")}
        if "execute_filemode" in p:
            entry["execute_filemode"] = p.bool("execute_filemode")
    author = None
    if p.str("author_email") or p.str("author_name"):
        author = {"name": p.str("author_name", ""), "email": p.str("author_email", "")}
    return write(
        req,
        project,
        branch=p.str("branch"),
        actions=[entry],
        commit_message=p.str("commit_message"),
        start_branch=p.str("start_branch"),
        author=author,
    )


@ROUTES.post(FILE)
async def create_file(req: ApiRequest) -> Response:
    _write(req, "create")
    return json_response({"file_path": req.path["file_path"], "branch": req.params.str("branch")}, 201)


@ROUTES.put(FILE)
async def update_file(req: ApiRequest) -> Response:
    _write(req, "update")
    return json_response({"file_path": req.path["file_path"], "branch": req.params.str("branch")})


@ROUTES.delete(FILE)
async def delete_file(req: ApiRequest) -> Response:
    _write(req, "delete")
    return no_content()
