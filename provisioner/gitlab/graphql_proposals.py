"""The files facet's open merge requests, read in bulk: `Project.mergeRequests(sourceBranches:,
state: opened)` for the proposal branches of many projects in one query [G:app/graphql/resolvers/
project_merge_requests_resolver.rb, merge_requests_resolver.rb (`sourceBranches` as `source_branch`,
sorted `created_desc` by default, as the REST list is), app/graphql/types/merge_request_type.rb]. It
answers what `GET /projects/:id/merge_requests?state=opened&source_branch=..&target_branch=..` lists
(`repository.open_merge_request`), under the key that function looks up: every open merge request from
the branch, newest first, with its target branch, which the reader matches (the target, the default
branch, is not known when the query is made).

The fields are the REST entity's: `iid`, `webUrl`, `description` (the proposal's marker) and
`diffHeadSha`, which is what REST shows as `sha` (`expose :diff_head_sha, as: :sha`)
[G:lib/api/entities/merge_request_basic.rb]. All exist in every GitLab the tool supports (17.0 and
later). A project with more than a page of them is left to the REST reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.graphql_reads import PAGE, Read, Wanted, complete
from provisioner.gitlab.repository import proposal_record, proposals_key


def _store(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("mergeRequests")
    if not complete(found):
        return  # more than a page, or not readable by this token: REST tells
    for source in asked.proposal_branches:
        cache.put(
            project_id,
            proposals_key(source),
            tuple(
                (
                    str(mr["targetBranch"]),
                    proposal_record(
                        mr["iid"], mr.get("webUrl"), mr.get("diffHeadSha"), mr.get("description")
                    ),
                )
                for mr in found["nodes"]
                if mr["sourceBranch"] == source
            ),
        )


PROPOSALS = Read(
    "proposals",
    f"mergeRequests(state: opened, sourceBranches: $proposalBranches, first: 1) {{ {PAGE} nodes {{ iid "
    "webUrl description diffHeadSha sourceBranch targetBranch } }",
    _store,
    needs_maintainer=False,
    variables={"proposalBranches": "[String!]"},
    when_writing=True,  # looked for only where the files differ: a no-op check never does
)
