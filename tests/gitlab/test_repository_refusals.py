"""Which refusals of the Commits API mean "the branch moved since the plan": those become `StaleCommit`
and the run plans again; any other refusal is reported as is."""

from __future__ import annotations

import pytest

from provisioner.gitlab.repository import went_stale


@pytest.mark.parametrize(
    ("refusal", "stale"),
    [
        # Files::MultiService#validate, GitLab's first check [G:app/services/files/multi_service.rb]
        (
            "Your changes could not be committed because a file with the name `ci/release.py` already exists.",
            True,
        ),
        ("File to be updated `ci/release.py` does not exist.", True),
        (
            "You are attempting to update a file `ci/release.py` that has changed since you started editing it.",
            True,
        ),
        # Gitaly, when a push lands between the validation and the commit
        # [G:lib/gitlab/gitaly_client/operation_service.rb index_error_message]
        ("A file with this name already exists", True),
        ("A file with this name doesn't exist", True),
        # not about the branch moving: said as GitLab said it
        (
            "Your changes could not be committed, because the file name, `../x` cannot include directory traversal.",
            False,
        ),
        ("You are not allowed to push into this branch", False),
        ("No changes were made", False),
    ],
)
def test_a_refusal_is_stale_only_when_the_branch_moved(refusal: str, stale: bool) -> None:
    assert went_stale(refusal) is stale
