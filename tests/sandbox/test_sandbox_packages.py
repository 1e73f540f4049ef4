"""The package registry routes the python-package pipeline uses, and CI job tokens (routes/packages.py,
ci_jobs.py). Each test names the GitLab source it follows."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests

from tests.support import Sandbox

BILLING = "platform%2Fbilling"
PYPI = f"/projects/{BILLING}/packages/pypi"
GENERIC = f"/projects/{BILLING}/packages/generic"
REALM = 'Basic realm="GitLab Packages Registry"'
WHEEL = b"PK\x03\x04 not really a wheel \r\n--boundary-like\r\n\x00\xff"


def start_job(sandbox: Sandbox, project: str = "platform/billing", user: str = "dana") -> str:
    response = sandbox.admin.post("/-/sandbox/jobs", json={"project": project, "user": user})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def as_job(token: str) -> tuple[str, str]:
    return ("gitlab-ci-token", token)


def upload(sandbox: Sandbox, auth: Any, *, content: bytes = WHEEL, **fields: str) -> requests.Response:
    """A POST shaped like twine's: multipart form, metadata fields, the file as `content`."""
    data = {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": "demo-pkg",
        "version": "1.2.3",
        "filetype": "bdist_wheel",
        "requires_python": ">=3.11",
        "sha256_digest": hashlib.sha256(content).hexdigest(),
        **fields,
    }
    files = {"content": ("demo_pkg-1.2.3-py3-none-any.whl", content, "application/octet-stream")}
    return requests.post(sandbox.api.url + PYPI, data=data, files=files, auth=auth, timeout=15)


def get(sandbox: Sandbox, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(sandbox.api.url + path, timeout=15, allow_redirects=False, **kwargs)


def test_twine_upload_then_pip_reads_the_simple_page_and_downloads_the_file(sandbox: Sandbox) -> None:
    """[G:lib/api/pypi_packages.rb] POST answers 201 `created!`; the simple page links each file to
    `files/:sha256/:name#sha256=` [G:app/presenters/packages/pypi/simple_package_versions_presenter.rb]."""
    job = start_job(sandbox)
    created = upload(sandbox, as_job(job))
    assert (created.status_code, created.json()) == (201, {"message": "201 Created"})

    page = get(sandbox, f"{PYPI}/simple/demo-pkg", auth=as_job(job))
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    digest = hashlib.sha256(WHEEL).hexdigest()
    project_id = sandbox.api.get(f"/projects/{BILLING}").json()["id"]
    link = f"{sandbox.api.url}/projects/{project_id}/packages/pypi/files/{digest}/demo_pkg-1.2.3-py3-none-any.whl"
    assert f'<a href="{link}#sha256={digest}" data-requires-python="&gt;=3.11">' in page.text
    assert "<title>Links for demo-pkg</title>" in page.text

    file = requests.get(link, auth=as_job(job), timeout=15)
    assert file.status_code == 200 and file.content == WHEEL  # byte for byte through the multipart form
    wrong_digest = get(sandbox, f"{PYPI}/files/{'0' * 64}/demo_pkg-1.2.3-py3-none-any.whl", auth=as_job(job))
    assert (wrong_digest.status_code, wrong_digest.json()) == (404, {"message": "404 Package Not Found"})


def test_the_same_file_again_is_refused_as_gitlab_does(sandbox: Sandbox) -> None:
    """[G:app/models/packages/package_file.rb] file names are unique within a PyPI package; the service
    turns the validation error into 400 [G:app/services/packages/pypi/create_package_service.rb]. Twine's
    --skip-existing does not recognise this answer (it looks for "already exist")."""
    job = start_job(sandbox)
    assert upload(sandbox, as_job(job)).status_code == 201
    again = upload(sandbox, as_job(job))
    assert again.status_code == 400
    assert again.json() == {
        "message": "400 Bad request - Validation failed: File name has already been taken"
    }


def test_pypi_takes_a_job_token_only_as_basic_auth(sandbox: Sandbox) -> None:
    """[G:lib/api/pypi_packages.rb] `job_token_allowed: :basic_auth`; a refusal asks for Basic credentials
    [G:lib/api/helpers/packages/basic_auth_helpers.rb]; a personal access token works as the password."""
    job = start_job(sandbox)
    header = get(sandbox, f"{PYPI}/simple/demo-pkg", headers={"JOB-TOKEN": job})
    assert header.status_code == 401 and header.headers["www-authenticate"] == REALM
    anonymous = upload(sandbox, None)
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"] == REALM
    other_user = upload(sandbox, ("someone", job))  # the job token only with the user gitlab-ci-token
    assert other_user.status_code == 401
    assert upload(sandbox, ("dana", "glpat-dana-sandbox-000001")).status_code == 201


def test_a_finished_job_token_no_longer_works(sandbox: Sandbox) -> None:
    """[G:lib/gitlab/auth/auth_finders.rb] find_valid_running_job_by_token!: only a running job's token."""
    job = start_job(sandbox)
    [job_id] = [j.id for j in sandbox.state.jobs.values() if j.token == job]
    assert sandbox.admin.post(f"/-/sandbox/jobs/{job_id}/finish").status_code == 200
    assert upload(sandbox, as_job(job)).status_code == 401
    generic = requests.put(
        f"{sandbox.api.url}{GENERIC}/sigs/1.2.3/a.sig", data=b"x", headers={"JOB-TOKEN": job}
    )
    assert generic.status_code == 401


def test_upload_parameters_and_versions_are_checked(sandbox: Sandbox) -> None:
    """[G:lib/api/pypi_packages.rb] Grape's `requires` and the sha256 regexp answer {"error": ...};
    versions follow pypi_version_regex [G:lib/gitlab/regex/packages.rb] (a leading v is accepted)."""
    auth = as_job(start_job(sandbox))
    no_file = requests.post(sandbox.api.url + PYPI, data={"name": "x"}, auth=auth, timeout=15)
    assert (no_file.status_code, no_file.json()) == (400, {"error": "content is missing, version is missing"})
    bad_digest = upload(sandbox, auth, sha256_digest="not-a-digest")
    assert bad_digest.json() == {"error": "sha256_digest is invalid"}
    bad_version = upload(sandbox, auth, version="1.2.3-nightly!")
    assert bad_version.json() == {"message": "400 Bad request - Validation failed: Version is invalid"}
    assert upload(sandbox, auth, version="v2.0.0rc1").status_code == 201


def test_an_unknown_package_is_forwarded_to_pypi_org(sandbox: Sandbox) -> None:
    """[G:lib/api/helpers/packages/dependency_proxy_helpers.rb] with pypi_package_requests_forwarding (on
    by default) a package the project lacks is redirected to pypi.org. The stored name, normalised, is
    compared with the requested one only lower-cased [G:app/models/packages/pypi/package.rb]: pip asks
    for the normalised name."""
    auth = as_job(start_job(sandbox))
    assert upload(sandbox, auth).status_code == 201
    assert get(sandbox, f"{PYPI}/simple/Demo-Pkg", auth=auth).status_code == 200
    forwarded = get(sandbox, f"{PYPI}/simple/demo_pkg", auth=auth)
    assert forwarded.status_code == 302
    assert forwarded.headers["location"] == "https://pypi.org/simple/demo_pkg/"


def test_generic_upload_takes_the_job_token_header_and_download_gives_the_checksum(sandbox: Sandbox) -> None:
    """[G:lib/api/generic_packages.rb] PUT: `job_token_allowed: true` (header or parameter), answers 201;
    GET takes the header or Basic auth and returns X-Checksum-SHA256. Duplicates are allowed by default
    and the newest file is served [G:app/services/packages/generic/create_package_file_service.rb]."""
    job = start_job(sandbox)
    url = f"{sandbox.api.url}{GENERIC}/demo_pkg-signatures/1.2.3/demo.whl.sig"
    basic = requests.put(url, data=b"sig-1", auth=as_job(job), timeout=15)
    assert basic.status_code == 401 and basic.headers["www-authenticate"] == REALM
    put = requests.put(url, data=b"sig-1", headers={"JOB-TOKEN": job}, timeout=15)
    assert (put.status_code, put.json()) == (201, {"message": "201 Created"})
    got = requests.get(url, auth=as_job(job), timeout=15)
    assert got.status_code == 200 and got.content == b"sig-1"
    assert got.headers["x-checksum-sha256"] == hashlib.sha256(b"sig-1").hexdigest()
    assert requests.put(url, data=b"sig-2", params={"job_token": job}, timeout=15).status_code == 201
    assert requests.get(url, headers={"JOB-TOKEN": job}, timeout=15).content == b"sig-2"
    missing = requests.get(url.replace("demo.whl.sig", "other.sig"), headers={"JOB-TOKEN": job}, timeout=15)
    assert (missing.status_code, missing.json()) == (404, {"message": "404 Not found"})


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("bad name!/1.0/f", "package_name is invalid"),
        ("sigs/1..0/f", "package_version is invalid"),
        ("sigs/1.0/~f", "file_name is invalid"),
    ],
)
def test_generic_names_follow_gitlabs_regexes(sandbox: Sandbox, path: str, error: str) -> None:
    """[G:lib/gitlab/regex/packages.rb] generic_package_name/version/file_name regexes."""
    job = start_job(sandbox)
    response = requests.put(f"{sandbox.api.url}{GENERIC}/{path}", data=b"x", headers={"JOB-TOKEN": job})
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_a_job_token_reaches_another_private_project_only_through_its_allowlist(sandbox: Sandbox) -> None:
    """[G:app/models/ci/job_token/scope.rb] the job's own project, or a project whose inbound allowlist
    holds it; beyond that a private project does not exist for the job [G:app/policies/project_policy.rb]."""
    [dana] = sandbox.api.get("/users", params={"username": "dana"}).json()
    sandbox.add_member("projects", "platform/payments", dana["id"], 30)  # dana may push there as a person
    job = start_job(sandbox)  # a job of platform/billing
    payments = "/projects/platform%2Fpayments/packages/generic/sigs/1.0/f.sig"
    refused = requests.put(sandbox.api.url + payments, data=b"x", headers={"JOB-TOKEN": job}, timeout=15)
    assert (refused.status_code, refused.json()) == (404, {"message": "404 Project Not Found"})
    billing_id = sandbox.api.get(f"/projects/{BILLING}").json()["id"]
    allow = sandbox.api.post(
        f"/projects/{sandbox.api.get('/projects/platform%2Fpayments').json()['id']}/job_token_scope/allowlist",
        json={"target_project_id": billing_id},
    )
    assert allow.status_code == 201
    allowed = requests.put(sandbox.api.url + payments, data=b"x", headers={"JOB-TOKEN": job}, timeout=15)
    assert allowed.status_code == 201


def test_who_may_publish(sandbox: Sandbox) -> None:
    """[G:lib/api/pypi_packages.rb] authorize_upload! needs create_package (Developer); a disabled registry
    refuses; a protection rule holds back pushes below its role [G:app/services/packages/
    create_package_service.rb] with "Package protected." (403)."""
    reporter = start_job(sandbox, "data/reports", "rita")  # Reporter in data
    put = f"{sandbox.api.url}/projects/data%2Freports/packages/generic/sigs/1.0/f.sig"
    assert requests.put(put, data=b"x", headers={"JOB-TOKEN": reporter}, timeout=15).status_code == 403
    disabled = start_job(sandbox, "data/ml-pipeline", "root")
    off = f"{sandbox.api.url}/projects/data%2Fml-pipeline/packages/generic/sigs/1.0/f.sig"
    assert requests.put(off, data=b"x", headers={"JOB-TOKEN": disabled}, timeout=15).status_code == 403
    rule = sandbox.api.post(
        f"/projects/{BILLING}/packages/protection/rules",
        json={
            "package_name_pattern": "demo-*",
            "package_type": "pypi",
            "minimum_access_level_for_push": "maintainer",
        },
    )
    assert rule.status_code == 201, rule.text
    protected = upload(sandbox, as_job(start_job(sandbox)))  # dana is a Developer
    assert (protected.status_code, protected.json()) == (
        403,
        {"message": "403 Forbidden - Package protected."},
    )
    assert upload(sandbox, as_job(start_job(sandbox, user="root"))).status_code == 201


def test_only_an_administrator_starts_jobs(sandbox: Sandbox) -> None:
    response = requests.post(
        f"{sandbox.url}/-/sandbox/jobs",
        json={"project": "platform/billing", "user": "dana"},
        headers={"PRIVATE-TOKEN": "glpat-dana-sandbox-000001"},
        timeout=15,
    )
    assert response.status_code == 403


def test_packages_and_jobs_survive_a_saved_state(sandbox: Sandbox, tmp_path: Any) -> None:
    """`serve --state FILE` keeps the registry and running jobs like everything else (state.py)."""
    from provisioner.sandbox.state import State

    job = start_job(sandbox)
    assert upload(sandbox, as_job(job)).status_code == 201
    sandbox.state.save(tmp_path / "state.json")
    loaded = State.load(tmp_path / "state.json")
    [package] = loaded.packages.values()
    [file] = package.files
    assert (package.name, package.version, file.file_name) == (
        "demo-pkg",
        "1.2.3",
        "demo_pkg-1.2.3-py3-none-any.whl",
    )
    assert loaded.blobs[file.blob] == WHEEL
    assert loaded.jobs[loaded.jobs_by_token[job]].status == "running"


def test_an_instance_that_enforces_the_allowlist_keeps_a_job_out_of_a_project_whose_own_is_off(
    sandbox: Sandbox,
) -> None:
    """data/warehouse turned its inbound allowlist off; the administrator's instance-wide enforcement
    (17.6+, routes/application_settings.py) turns it back on for every project."""
    job = start_job(sandbox, "data/reports", "root")
    url = f"{sandbox.api.url}/projects/data%2Fwarehouse/packages/generic/sigs/1.0/f.sig"
    assert requests.put(url, data=b"x", headers={"JOB-TOKEN": job}, timeout=15).status_code == 201
    enforce = sandbox.api.put(
        "/application/settings", json={"enforce_ci_inbound_job_token_scope_enabled": True}
    )
    assert enforce.status_code == 200, enforce.text
    refused = requests.put(url, data=b"x", headers={"JOB-TOKEN": job}, timeout=15)
    assert (refused.status_code, refused.json()) == (404, {"message": "404 Project Not Found"})
