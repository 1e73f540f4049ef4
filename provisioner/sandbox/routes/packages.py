"""The package registry as the python-package pipeline uses it: a project's PyPI repository (twine's
upload, the PEP 503 simple page of a package, file download) and generic packages (upload, download).

Sources: [G:lib/api/pypi_packages.rb, lib/api/generic_packages.rb, lib/api/helpers/packages/
basic_auth_helpers.rb, app/services/packages/pypi/create_package_service.rb, app/services/packages/
generic/create_package_file_service.rb, app/presenters/packages/pypi/simple_package_versions_presenter.rb,
app/models/packages/package_file.rb, lib/gitlab/regex/packages.rb, lib/api/api.rb] and the docs
doc/user/packages/pypi_repository, doc/user/packages/generic_packages.

Authentication as GitLab's routes declare it: PyPI takes a CI job token only as Basic auth
(`gitlab-ci-token:<token>`), generic uploads only as the JOB-TOKEN header (or `job_token`), generic
downloads both; all take a personal access token, also as a Basic auth password. A caller GitLab cannot
identify gets 401 with `WWW-Authenticate: Basic realm="GitLab Packages Registry"` (pip sends credentials
after that challenge). Not modelled: deploy tokens, group-level endpoints, the PEP 691 JSON pages (feature
flag pypi_pep_691_json), size limits, the namespace setting that refuses generic duplicates (duplicates are
GitLab's default: the newest file of a name is served), object storage redirects.
"""

from __future__ import annotations

import hashlib
import html
import re
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from starlette.responses import RedirectResponse, Response

from provisioner.sandbox import ci_jobs
from provisioner.sandbox.auth import can_read_project, project_access, user_of
from provisioner.sandbox.http import (
    ApiError,
    bad_request,
    forbidden,
    json_response,
    message,
    origin,
    param_error,
)
from provisioner.sandbox.routing import ApiRequest, Routes
from provisioner.sandbox.state import (
    ADMIN,
    DEVELOPER,
    MAINTAINER,
    OWNER,
    REPORTER,
    Package,
    PackageFile,
    Project,
    State,
    now_iso,
)

ROUTES = Routes()
PYPI = "/projects/:id/packages/pypi"
GENERIC = "/projects/:id/packages/generic/:package_name/:package_version/:file_name"
REALM = {"WWW-Authenticate": 'Basic realm="GitLab Packages Registry"'}
PYPI_AUTH = {"anonymous": True, "job_token": ("basic_auth",), "basic_auth_pat": True}
# The application setting pypi_package_requests_forwarding, on by default: a package the project does not
# hold is looked up on pypi.org instead [G:lib/api/helpers/packages/dependency_proxy_helpers.rb].
FORWARD_URL = "https://pypi.org/simple/{name}/"

# [G:lib/gitlab/regex/packages.rb]; Ruby's \z is Python's \Z.
PYPI_VERSION = re.compile(
    r"""\A(?:v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)
    ([-_\.]?((a|b|c|rc|alpha|beta|pre|preview))[-_\.]?([0-9]+)?)?
    ((?:-([0-9]+))|(?:[-_\.]?(post|rev|r)[-_\.]?([0-9]+)?))?
    ([-_\.]?(dev)[-_\.]?([0-9]+)?)?
    (?:\+([a-z0-9]+(?:[-_\.][a-z0-9]+)*))?)\Z""",
    re.X | re.I,
)
PACKAGE_NAME = re.compile(r"\A@?(?>(([\w\-.+]*)/)*([\w\-.]+))@?(?>(([\w\-.+]*)/)*([\w\-.]*))\Z", re.ASCII)
GENERIC_NAME = re.compile(r"\A[A-Za-z0-9._+-]+\Z")
GENERIC_VERSION = re.compile(r"\A(?!.*\.\.)[\w+.-]+\Z", re.ASCII)
GENERIC_FILE_NAME = re.compile(r"\A(?!~)[A-Za-z0-9._+~-]+(?<!~)\Z")
SHA256 = re.compile(r"\A[0-9a-f]{64}\Z", re.I)


# -- who may do what -----------------------------------------------------------------------------------
def _unauthorized_or(req: ApiRequest, error: ApiError) -> ApiError:
    """BasicAuthHelpers#unauthorized_or!: an anonymous caller is asked for credentials instead."""
    return error if req.caller is not None else ApiError(401, {"message": "401 Unauthorized"}, REALM)


def _level(req: ApiRequest, project: Project) -> int:
    """The caller's access, as a CI job's token gets it: nothing on a private project beyond its scope."""
    job = req.caller.job if req.caller is not None else None
    if job is not None and project.visibility == "private" and not ci_jobs.reaches(req.state, job, project):
        return 0
    return project_access(req.state, user_of(req), project)


def _project(req: ApiRequest) -> Project:
    state, ident = req.state, req.path["id"]
    project_id = int(ident) if ident.isdigit() else state.paths.get(ident.lower())
    project = state.projects.get(project_id) if project_id is not None else None
    readable = project is not None and can_read_project(state, user_of(req), project)
    if project is not None and readable and project.visibility == "private":
        readable = _level(req, project) > 0
    if project is None or not readable:
        raise _unauthorized_or(req, message("404 Project Not Found", 404))
    return project


def _can_read_packages(req: ApiRequest, project: Project) -> bool:
    # Who reads packages by package_registry_access_level (from memory of ProjectPolicy; guests of a
    # private project read the project but not its packages, as basic_auth_helpers.rb says).
    level = project.settings.get("package_registry_access_level", "enabled")
    if level == "disabled":
        return False
    if level == "public" or (level == "enabled" and project.visibility == "public"):
        return True
    if level == "enabled" and project.visibility == "internal" and req.caller is not None:
        return True
    return _level(req, project) >= REPORTER


def _require_upload(req: ApiRequest, project: Project, package_type: str, name: str) -> None:
    disabled = project.settings.get("package_registry_access_level") == "disabled"
    if disabled or _level(req, project) < DEVELOPER:
        raise _unauthorized_or(req, forbidden())
    # Packages::Protection: a rule for this type whose pattern (with * wildcards) matches the name
    # holds back pushes below its minimum role.
    minimum = {"maintainer": MAINTAINER, "owner": OWNER, "admin": ADMIN}
    for rule in project.package_protection_rules:
        pattern = "".join(".*" if c == "*" else re.escape(c) for c in rule.package_name_pattern)
        push = rule.minimum_access_level_for_push
        applies = rule.package_type == package_type and push and re.fullmatch(pattern, name, re.I)
        if applies and _level(req, project) < minimum[str(push)]:
            raise forbidden("Package protected.")


# -- storage -------------------------------------------------------------------------------------------
def _package(state: State, project: Project, package_type: str, name: str, version: str) -> Package | None:
    return next(
        (
            p
            for p in state.packages.values()
            if (p.project_id, p.package_type, p.name, p.version) == (project.id, package_type, name, version)
        ),
        None,
    )


def _store(state: State, package: Package, file_name: str, content: bytes, sha256: str | None) -> None:
    blob = hashlib.sha256(content).hexdigest()
    state.blobs.setdefault(blob, content)
    package.files.append(
        PackageFile(state.next_id("package_files"), file_name, sha256, blob, len(content), now_iso())
    )


def _file_response(state: State, file: PackageFile, extra: dict[str, str] | None = None) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{file.file_name}"', **(extra or {})}
    return Response(state.blobs[file.blob], 200, headers=headers, media_type="application/octet-stream")


# -- PyPI ----------------------------------------------------------------------------------------------
def _form(content_type: str, body: bytes) -> dict[str, tuple[bytes, str | None]]:
    """multipart/form-data fields as (bytes, file name): what Workhorse hands to Rails for twine's POST."""
    head = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode())
    boundary = head.get_param("boundary")
    if head.get_content_type() != "multipart/form-data" or not isinstance(boundary, str):
        return {}
    fields: dict[str, tuple[bytes, str | None]] = {}
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        headers, sep, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        part: Message = BytesParser(policy=HTTP).parsebytes(headers + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if sep and isinstance(name, str):
            filename = part.get_param("filename", header="content-disposition")
            fields[name] = (content.removesuffix(b"\r\n"), filename if isinstance(filename, str) else None)
    return fields


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503, Packages::Pypi::Package.with_normalized_pypi_name


@ROUTES.post(PYPI, **PYPI_AUTH)
async def pypi_upload(req: ApiRequest) -> Response:
    form = _form(req.http.headers.get("content-type", ""), await req.http.body())
    if not form:  # an urlencoded form carries the metadata but cannot carry the file
        form = {
            k: (v.encode(), None)
            for k, v in req.params.values.items()
            if isinstance(v, str) and k != "content"
        }
    missing = [n for n in ("content", "name", "version") if n not in form]
    if missing:
        raise param_error(", ".join(f"{n} is missing" for n in missing))
    text = {k: v.decode("utf-8", "replace") for k, (v, filename) in form.items() if filename is None}
    if "sha256_digest" in text and not SHA256.match(text["sha256_digest"]):
        raise param_error("sha256_digest is invalid")
    project = _project(req)
    name, version = text["name"], text["version"]
    _require_upload(req, project, "pypi", name)
    checks = (("Name", PACKAGE_NAME.match(name)), ("Version", PYPI_VERSION.match(version)))
    problems = [f"{field} is invalid" for field, ok in checks if not ok]
    if problems:
        raise bad_request("Validation failed: " + ", ".join(problems))
    content, file_name = form["content"][0], form["content"][1] or ""
    package = _package(req.state, project, "pypi", name, version)
    if package is not None and any(f.file_name == file_name for f in package.files):
        raise bad_request("Validation failed: File name has already been taken")
    if package is None:
        package = Package(req.state.next_id("packages"), project.id, "pypi", name, version, now_iso())
        req.state.packages[package.id] = package
    package.requires_python = text.get("requires_python", "")
    # GitLab records the digest twine claims (file_sha256: params[:sha256_digest]); it does not compute one.
    _store(req.state, package, file_name, content, text.get("sha256_digest"))
    return json_response({"message": "201 Created"}, 201)


@ROUTES.get(f"{PYPI}/simple/:package_name", **PYPI_AUTH)
async def pypi_simple_package(req: ApiRequest) -> Response:
    project = _project(req)
    if not _can_read_packages(req, project):
        raise _unauthorized_or(req, forbidden())
    wanted = req.path["package_name"]
    packages = [
        p
        for p in sorted(req.state.packages.values(), key=lambda p: p.id)
        if p.project_id == project.id and p.package_type == "pypi" and _normalized(p.name) == wanted.lower()
    ]
    if not packages:  # GitLab compares the stored name, normalised, with the requested one lower-cased
        return RedirectResponse(FORWARD_URL.format(name=wanted), 302)
    base = f"{origin(req.http)}/api/v4/projects/{project.id}/packages/pypi/files"
    links = "".join(
        f'<a href="{base}/{f.sha256}/{f.file_name}#sha256={f.sha256}" '
        f'data-requires-python="{html.escape(p.requires_python)}">{f.file_name}</a>'
        for p in packages
        for f in p.files
    )
    title = html.escape(packages[0].name)
    body = (
        "        <!DOCTYPE html>\n        <html>\n          <head>\n"
        f"            <title>Links for {title}</title>\n          </head>\n          <body>\n"
        f"            <h1>Links for {title}</h1>\n            {links}\n          </body>\n        </html>\n"
    )
    return Response(body, 200, media_type="text/html; charset=utf-8")


@ROUTES.get(f"{PYPI}/files/:sha256/:file_identifier", **PYPI_AUTH)
async def pypi_file(req: ApiRequest) -> Response:
    project = _project(req)
    if not _can_read_packages(req, project):
        raise _unauthorized_or(req, forbidden())
    name, digest = req.path["file_identifier"], req.path["sha256"]
    for package in sorted(req.state.packages.values(), key=lambda p: -p.id):
        if package.project_id == project.id and package.package_type == "pypi":
            for file in package.files:
                if file.file_name == name and file.sha256 == digest:
                    return _file_response(req.state, file)
    raise message("404 Package Not Found", 404)


# -- generic -------------------------------------------------------------------------------------------
def _generic_params(req: ApiRequest) -> tuple[str, str, str]:
    path = req.path
    for key, pattern in (
        ("package_name", GENERIC_NAME),
        ("package_version", GENERIC_VERSION),
        ("file_name", GENERIC_FILE_NAME),
    ):
        if not pattern.match(path[key]):
            raise param_error(f"{key} is invalid")
    return path["package_name"], path["package_version"], path["file_name"]


@ROUTES.put(GENERIC, anonymous=True, job_token=("request",), basic_auth_pat=True)
async def generic_upload(req: ApiRequest) -> Response:
    if req.caller is None:
        raise _unauthorized_or(req, forbidden())  # authenticate_non_get!
    name, version, file_name = _generic_params(req)
    project = _project(req)
    _require_upload(req, project, "generic", name)
    package = _package(req.state, project, "generic", name, version)
    if package is None:
        package = Package(req.state.next_id("packages"), project.id, "generic", name, version, now_iso())
        req.state.packages[package.id] = package
    content = await req.http.body()
    _store(req.state, package, file_name, content, hashlib.sha256(content).hexdigest())  # Workhorse's
    return json_response({"message": "201 Created"}, 201)


@ROUTES.get(GENERIC, anonymous=True, job_token=("request", "basic_auth"), basic_auth_pat=True)
async def generic_download(req: ApiRequest) -> Response:
    name, version, file_name = _generic_params(req)
    project = _project(req)
    if not _can_read_packages(req, project):
        raise _unauthorized_or(req, forbidden())
    package = _package(req.state, project, "generic", name, version)
    files = [f for f in (package.files if package else []) if f.file_name == file_name]
    if not files:
        raise message("404 Not found", 404)  # ActiveRecord::RecordNotFound, as lib/api/api.rb renders it
    newest = max(files, key=lambda f: f.id)
    return _file_response(req.state, newest, {"X-Checksum-SHA256": newest.blob})
