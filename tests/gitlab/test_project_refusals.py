"""A refused `PUT /projects/:id` says which of the attributes it carried GitLab's message names, under
the API's names (the engine blames the facets that asked for them: engine/attributes.py)."""

from __future__ import annotations

import pytest

from provisioner.errors import AttributesRejected
from provisioner.gitlab import projects
from provisioner.gitlab.api import GitLabApi
from tests.support import Sandbox


def refused(sandbox: Sandbox, attributes: dict[str, object]) -> frozenset[str]:
    api = GitLabApi(sandbox.url, sandbox.token)
    try:
        project = projects.find(api, "platform/billing")
        assert project is not None
        with pytest.raises(AttributesRejected) as caught:
            projects.update(api, project.id, attributes)
        assert caught.value.status == 400
        return caught.value.attributes
    finally:
        api.close()


def test_a_nested_attribute_is_named_by_what_it_is_written_as(sandbox: Sandbox):
    """`container_expiration_policy.cadence` in GitLab's answer: the write's
    `container_expiration_policy_attributes`, not the other attribute sent with it."""
    policy = {"container_expiration_policy_attributes": {"cadence": "2h"}}
    assert refused(sandbox, {"build_timeout": 7200, **policy}) == {"container_expiration_policy_attributes"}


def test_visibility_is_refused_as_visibility_level(sandbox: Sandbox):
    assert refused(sandbox, {"visibility": "public", "build_timeout": 7200}) == {"visibility"}


def test_a_refusal_about_no_attribute_names_none(sandbox: Sandbox):
    assert refused(sandbox, {"default_branch": "no-such-branch", "build_timeout": 7200}) == frozenset()
