"""Offset and keyset pagination, headers and limits."""

from __future__ import annotations

import warnings

import requests


def _links(response: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


def test_offset_headers_and_link_built_from_the_request_host(sandbox):
    """REFERENCE 0.5 and 1.6: X-* headers and Link with prev/next/first/last."""
    response = sandbox.api.get("/projects?per_page=3&page=2&order_by=id&sort=asc")
    headers = response.headers
    assert [p["id"] for p in response.json()] == [4, 5, 6]
    assert (headers["X-Page"], headers["X-Per-Page"], headers["X-Prev-Page"], headers["X-Next-Page"]) == (
        "2",
        "3",
        "1",
        "3",
    )
    assert (headers["X-Total"], headers["X-Total-Pages"]) == ("10", "4")
    links = _links(response)
    assert set(links) == {"prev", "next", "first", "last"}
    assert links["next"].startswith(sandbox.url + "/api/v4/projects?")
    assert "page=3" in links["next"] and "order_by=id" in links["next"] and "per_page=3" in links["next"]
    # The host the client used, not the one the server bound: python-gitlab compares bases.
    other = requests.get(
        sandbox.url.replace("127.0.0.1", "localhost") + "/api/v4/projects?per_page=3",
        headers={"PRIVATE-TOKEN": sandbox.token},
        timeout=10,
    )
    assert _links(other)["next"].startswith("http://localhost:")


def test_last_page_has_empty_next_and_past_the_end_is_empty(sandbox):
    """REFERENCE 1.6: empty X-Next-Page on the last page; a page past the end is 200 []."""
    last = sandbox.api.get("/projects?per_page=3&page=4")
    assert last.headers["X-Next-Page"] == "" and len(last.json()) == 1
    assert "next" not in _links(last)
    beyond = sandbox.api.get("/projects?per_page=3&page=9")
    assert beyond.status_code == 200 and beyond.json() == []


def test_per_page_is_capped_at_100(sandbox):
    """REFERENCE 1.6: per_page max 100."""
    assert sandbox.api.get("/projects?per_page=1000").headers["X-Per-Page"] == "100"


def test_link_keeps_encoded_path_segments(sandbox):
    """REFERENCE 0.1 and 1.6: the next link of a list under an encoded id keeps %2F."""
    for index in range(3):
        sandbox.api.post("/projects/data%2Freports/variables", json={"key": f"K{index}", "value": "v"})
    response = sandbox.api.get("/projects/data%2Freports/variables?per_page=2")
    assert "/projects/data%2Freports/variables?" in _links(response)["next"]


def test_python_gitlab_follows_all_pages_without_warnings(sandbox):
    """REFERENCE 1.6: python-gitlab follows rel="next" and warns when the Link base differs."""
    gl = sandbox.gl()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        projects = gl.projects.list(per_page=2, get_all=True)
    assert len(projects) == 10
    listing = gl.projects.list(per_page=4, iterator=True)
    assert listing.total == 10 and listing.total_pages == 3


def test_totals_are_omitted_above_10000_records(sandbox):
    """REFERENCE 0.5 and 1.6: no X-Total, X-Total-Pages or rel="last" above 10,000."""
    seeded = sandbox.admin.post("/-/sandbox/seed", json={"projects": 9_995, "group": "bulk"})
    assert seeded.json()["created"] == 9_995
    response = sandbox.api.get("/projects?per_page=100")
    assert "X-Total" not in response.headers and "X-Total-Pages" not in response.headers
    assert set(_links(response)) == {"next", "first"}
    listing = sandbox.gl().projects.list(per_page=100, iterator=True)
    assert listing.total is None


def test_offset_beyond_50000_is_405_for_projects(sandbox):
    """REFERENCE 1.6: offset cap on keyset-capable types."""
    response = sandbox.api.get("/projects?per_page=100&page=502")
    assert response.status_code == 405
    assert response.json()["error"].startswith("Offset pagination has a maximum allowed offset of 50000")
    assert "objects of type Project" in response.json()["error"]


def test_keyset_pagination_on_projects(sandbox):
    """REFERENCE 1.6: pagination=keyset&order_by=id, only a next Link, no totals."""
    first = sandbox.api.get("/projects?pagination=keyset&per_page=4&order_by=id&sort=asc")
    assert [p["id"] for p in first.json()] == [1, 2, 3, 4]
    assert "X-Total" not in first.headers and "X-Page" not in first.headers
    next_url = _links(first)["next"]
    assert "id_after=4" in next_url
    ids = [p["id"] for p in first.json()]
    while next_url:
        page = requests.get(next_url, headers={"PRIVATE-TOKEN": sandbox.token}, timeout=10)
        ids += [p["id"] for p in page.json()]
        next_url = _links(page).get("next", "")
    assert ids == list(range(1, 11))
    refused = sandbox.api.get("/projects?pagination=keyset&order_by=name")
    assert refused.status_code == 405
    assert refused.json() == {"error": "Keyset pagination is not yet available for this type of request"}


def test_python_gitlab_keyset_iteration(sandbox):
    """REFERENCE 1.6: python-gitlab with pagination="keyset" follows the Link header."""
    projects = sandbox.gl().projects.list(pagination="keyset", order_by="id", per_page=3, get_all=True)
    assert sorted(p.id for p in projects) == list(range(1, 11))
