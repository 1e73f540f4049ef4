"""The bulk read of projects' direct members: `Project.projectMembers(relations: [DIRECT])`, 100 per
project, for many projects in one query [G:app/graphql/resolvers/project_members_resolver.rb,
app/graphql/types/member_interface.rb]. It answers what `GET /projects/:id/members` lists (direct
members with a user), under the same cache key; a project with more than a page of members, or a
member without a user (an invitation), is left to the REST reader.

Every field selected exists in every GitLab the tool supports (17.0 and later): nothing to gate by
version. Anyone who can read a project reads its members, so the read does not need Maintainer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provisioner.gitlab.cache import RunCache
from provisioner.gitlab.graphql_reads import PAGE, Read, Wanted, complete, numeric_id
from provisioner.gitlab.members import MEMBERS, MemberRecord, day


def _store(cache: RunCache, project_id: int, node: Mapping[str, Any], asked: Wanted) -> None:
    found = node.get("projectMembers")
    if not complete(found):
        return
    records = []
    for member in found["nodes"]:
        user = (member or {}).get("user")
        level = ((member or {}).get("accessLevel") or {}).get("integerValue")
        if not user or level is None:
            return  # an invitation, or a node hidden from the token: REST says what it is
        records.append(
            MemberRecord(
                numeric_id(user["id"]), str(user["username"]), int(level), day(member.get("expiresAt"))
            )
        )
    cache.put(project_id, MEMBERS, tuple(records))


MEMBERS_READ = Read(
    "members",
    f"projectMembers(relations: [DIRECT], first: 100) {{ {PAGE} nodes {{ accessLevel {{ integerValue }} "
    "expiresAt user { id username } } }",
    _store,
    needs_maintainer=False,
)
