"""List filters: each documented filter either works or is refused as Grape refuses a value it does
not accept (400 `<name> does not have a valid value`), never accepted and ignored."""

from __future__ import annotations

import pytest

from provisioner.sandbox.seed import DANA_TOKEN


def _ids(response):
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()]


def _group_id(sandbox, path):
    return sandbox.api.get(f"/groups/{path.replace('/', '%2F')}").json()["id"]


def test_groups_skip_groups_in_both_array_forms(sandbox):
    """`skip_groups`: Array[Integer] with CommaSeparatedToIntegerArray [G:lib/api/groups.rb
    group_list_params]."""
    platform, data = _group_id(sandbox, "platform"), _group_id(sandbox, "data")
    everything = _ids(sandbox.api.get("/groups"))
    assert platform in everything and data in everything
    skipped = _ids(sandbox.api.get(f"/groups?skip_groups[]={platform}&skip_groups[]={data}"))
    assert platform not in skipped and data not in skipped and skipped
    assert _ids(sandbox.api.get(f"/groups?skip_groups={platform},{data}")) == skipped
    bad = sandbox.api.get("/groups?skip_groups[]=platform")
    assert (bad.status_code, bad.json()) == (400, {"error": "skip_groups is invalid"})


def test_groups_of_a_non_administrator_are_their_own_unless_all_available(sandbox):
    """find_groups: `all_available` defaults to false for users who are not administrators, true for
    administrators; `top_level_only`; `min_access_level` takes Gitlab::Access values only
    [G:lib/api/groups.rb `find_groups`, app/finders/groups_finder.rb]."""
    sandbox.api.put(f"/groups/{_group_id(sandbox, 'data')}", json={"visibility": "internal"})
    dana = sandbox.as_user(DANA_TOKEN)
    own = [g["full_path"] for g in dana.get("/groups").json()]
    assert own == ["platform/libs", "platform"]  # ordered by name: Libs, Platform
    visible = {g["full_path"] for g in dana.get("/groups?all_available=true").json()}
    assert {"platform", "platform/libs"} <= visible
    top = {g["full_path"] for g in sandbox.api.get("/groups?top_level_only=true").json()}
    assert top == {"platform", "data"}
    bad = sandbox.api.get("/groups?min_access_level=35")
    assert bad.json() == {"error": "min_access_level does not have a valid value"}
    refused = sandbox.api.get("/groups?statistics=true")
    assert refused.json() == {"error": "statistics does not have a valid value"}
    assert sandbox.api.get("/groups?statistics=false").status_code == 200


def test_subgroups_and_descendants_take_the_group_list_filters(sandbox):
    platform = _group_id(sandbox, "platform")
    libs = _group_id(sandbox, "platform/libs")
    assert _ids(sandbox.api.get(f"/groups/{platform}/descendant_groups")) == [libs]
    assert _ids(sandbox.api.get(f"/groups/{platform}/descendant_groups?skip_groups[]={libs}")) == []
    assert _ids(sandbox.api.get(f"/groups/{platform}/subgroups?search=nope")) == []


def test_members_user_ids_skip_users_and_query(sandbox):
    """`user_ids` and `skip_users` (Array[Integer]), `query` [G:lib/api/members.rb]."""
    platform = _group_id(sandbox, "platform")
    dana = sandbox.api.get("/users?username=dana").json()[0]["id"]
    rita = sandbox.api.get("/users?username=rita").json()[0]["id"]
    sandbox.add_member("groups", platform, rita, 10)
    everyone = _ids(sandbox.api.get(f"/groups/{platform}/members"))
    assert dana in everyone and len(everyone) > 1
    assert _ids(sandbox.api.get(f"/groups/{platform}/members?user_ids[]={dana}")) == [dana]
    assert dana not in _ids(sandbox.api.get(f"/groups/{platform}/members?skip_users={dana}"))
    assert _ids(sandbox.api.get(f"/groups/{platform}/members?query=Dana")) == [dana]
    assert _ids(sandbox.api.get(f"/groups/{platform}/members/all?user_ids={dana}")) == [dana]
    assert sandbox.api.get(f"/groups/{platform}/members?show_seat_info=true").status_code == 400


def test_commits_all_first_parent_since_until_and_author(sandbox):
    """`all` walks every branch and tag; `first_parent`; `since`/`until`; `author` [G:lib/api/commits.rb]."""
    project = "/projects/platform%2Fbilling/repository"
    sandbox.api.post(f"{project}/branches", json={"branch": "topic", "ref": "main"})
    sandbox.api.post(
        f"{project}/commits",
        json={
            "branch": "topic",
            "commit_message": "On topic",
            "author_name": "Ann Other",
            "author_email": "ann@x.test",
            "actions": [{"action": "create", "file_path": "t.txt", "content": "t\n"}],
        },
    )
    main = [c["title"] for c in sandbox.api.get(f"{project}/commits").json()]
    assert "On topic" not in main
    every = sandbox.api.get(f"{project}/commits?all=true").json()
    assert every[0]["title"] == "On topic" and len(every) == len(main) + 1
    assert [c["title"] for c in sandbox.api.get(f"{project}/commits?all=true&author=Ann").json()] == [
        "On topic"
    ]
    assert sandbox.api.get(f"{project}/commits?all=true&since=2999-01-01").json() == []
    assert len(sandbox.api.get(f"{project}/commits?all=true&until=2999-01-01T00:00:00Z").json()) == len(every)
    bad = sandbox.api.get(f"{project}/commits?since=yesterday")
    assert bad.json() == {"error": "since is invalid"}


def test_commits_without_first_parent_follow_merged_branches(sandbox):
    """`git log` lists every ancestor; `first_parent=true` only the first parents."""
    project = "/projects/platform%2Fbilling"
    sandbox.api.post(f"{project}/repository/branches", json={"branch": "feature", "ref": "main"})
    sandbox.api.post(
        f"{project}/repository/commits",
        json={
            "branch": "feature",
            "commit_message": "Feature work",
            "actions": [{"action": "create", "file_path": "f.txt", "content": "f\n"}],
        },
    )
    mr = sandbox.api.post(
        f"{project}/merge_requests", json={"source_branch": "feature", "target_branch": "main", "title": "F"}
    ).json()
    assert sandbox.api.put(f"{project}/merge_requests/{mr['iid']}/merge").status_code == 200
    titles = [c["title"] for c in sandbox.api.get(f"{project}/repository/commits").json()]
    assert "Feature work" in titles
    first = [c["title"] for c in sandbox.api.get(f"{project}/repository/commits?first_parent=true").json()]
    assert "Feature work" not in first and titles[0] == first[0]


def test_branches_search_anchors_and_sort(sandbox):
    """BranchesFinder: `^x` and `x$` anchor the search; `sort` updated_desc [G:lib/api/branches.rb]."""
    project = "/projects/platform%2Fbilling/repository/branches"
    for name in ("release-1", "hotfix-release"):
        sandbox.api.post(project, json={"branch": name, "ref": "main"})
    names = lambda query: [b["name"] for b in sandbox.api.get(f"{project}?{query}").json()]  # noqa: E731
    assert names("search=release") == ["hotfix-release", "release-1"]
    assert names("search=%5Erelease") == ["release-1"]
    assert names("search=release%24") == ["hotfix-release"]
    assert names("regex=%5Ehot") == ["hotfix-release"]


def test_merge_request_filters(sandbox):
    """MergeRequestsFinder [G:lib/api/merge_requests.rb]: dates, draft, scope; milestones and reactions
    are not modelled and refused."""
    project = "/projects/platform%2Fbilling"
    for branch, title in (("a", "Draft: half done"), ("b", "Ready")):
        sandbox.api.post(f"{project}/repository/branches", json={"branch": branch, "ref": "main"})
        sandbox.api.post(
            f"{project}/merge_requests",
            json={"source_branch": branch, "target_branch": "main", "title": title},
        )
    titles = lambda query: [m["title"] for m in sandbox.api.get(f"{project}/merge_requests?{query}").json()]  # noqa: E731
    assert titles("draft=yes") == ["Draft: half done"]
    assert titles("wip=no") == ["Ready"]
    assert titles("created_after=2999-01-01") == []
    assert sorted(titles("scope=all")) == ["Draft: half done", "Ready"]
    assert titles("scope=assigned_to_me") == []
    assert titles("labels=None") == ["Ready", "Draft: half done"]
    simple = sandbox.api.get(f"{project}/merge_requests?view=simple").json()[0]
    assert "source_branch" not in simple and "iid" in simple
    refused = sandbox.api.get(f"{project}/merge_requests?milestone=v1")
    assert refused.json() == {"error": "milestone does not have a valid value"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [("with_issues_enabled=true", True), ("updated_after=2999-01-01", False)],
)
def test_project_list_filters(sandbox, query, expected):
    """GET /projects: `with_issues_enabled`, `updated_after` [G:lib/api/helpers/projects_helpers.rb]."""
    assert bool(_ids(sandbox.api.get(f"/projects?{query}"))) is expected


def test_group_projects_ignore_filters_they_do_not_declare_and_refuse_unmodelled_ones(sandbox):
    """`topic` is a GET /projects filter; GET /groups/:id/projects does not declare it, so Grape drops
    it [G:lib/api/groups.rb `:id/projects` params]."""
    data = _group_id(sandbox, "data")
    every = _ids(sandbox.api.get(f"/groups/{data}/projects"))
    assert _ids(sandbox.api.get(f"/groups/{data}/projects?topic=nothing-has-it")) == every
    assert _ids(sandbox.api.get("/projects?topic=nothing-has-it")) == []
    assert sandbox.api.get("/projects?statistics=true").status_code == 400


def test_runner_version_prefix_and_protected_branch_search(sandbox):
    """Ci::RunnersFinder `by_version_prefix` (leading digits and dots only); protected branches `search`."""
    all_runners = _ids(sandbox.api.get("/runners/all"))
    assert _ids(sandbox.api.get("/runners/all?version_prefix=abc")) == all_runners  # not a prefix: ignored
    contacted = _ids(sandbox.api.get("/runners/all?version_prefix=18."))
    assert set(contacted) <= set(all_runners)
    assert _ids(sandbox.api.get("/runners/all?version_prefix=99")) == []
    rules = sandbox.api.get("/projects/platform%2Fpayments/protected_branches?search=mai").json()
    assert [r["name"] for r in rules] == ["main"]
    assert sandbox.api.get("/projects/platform%2Fpayments/protected_branches?search=zzz").json() == []


def test_commit_trailers_branch_page_token_and_graphql_project_sort(sandbox):
    """`trailers=true` parses the message's trailers [G:lib/api/commits.rb `trailers`]; `page_token`
    starts after a branch name [G:lib/api/branches.rb]; GraphQL `projects(sort:)` orders as asked
    (id_desc by default) [G:app/graphql/resolvers/projects_resolver.rb]."""
    project = "/projects/platform%2Fbilling/repository"
    sandbox.api.post(
        f"{project}/commits",
        json={
            "branch": "main",
            "commit_message": "Scaffold\n\nWhy it changed.\n\nBlueprint: python-package 1.0.0",
            "actions": [{"action": "create", "file_path": "x.txt", "content": "x\n"}],
        },
    )
    newest = sandbox.api.get(f"{project}/commits?trailers=true").json()[0]
    assert newest["trailers"] == {"Blueprint": "python-package 1.0.0"}
    assert sandbox.api.get(f"{project}/commits").json()[0]["trailers"] == {}
    for name in ("a-1", "b-2"):
        sandbox.api.post(f"{project}/branches", json={"branch": name, "ref": "main"})
    assert [b["name"] for b in sandbox.api.get(f"{project}/branches?page_token=a-1").json()] == [
        "b-2",
        "main",
    ]
    query = '{ projects(fullPaths: ["data/reports", "data/warehouse"], sort: "%s") { nodes { fullPath } } }'
    by = lambda sort: [n["fullPath"] for n in sandbox.graphql(query % sort)["data"]["projects"]["nodes"]]  # noqa: E731
    assert by("name_asc") == ["data/reports", "data/warehouse"]
    assert by("name_desc") == ["data/warehouse", "data/reports"]
