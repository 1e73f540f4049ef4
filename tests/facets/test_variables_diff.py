"""The variables diff is pure: tables of (desired, observed) -> changes. DESIGN.md traps included."""

from __future__ import annotations

import pytest

from provisioner.facets.base import PlanOptions
from provisioner.facets.variables_diff import NOT_SHOWN, diff_variables
from provisioner.gitlab.variables import VariableRecord, to_record
from provisioner.inventory.spec import ResolvedVariable
from provisioner.model import SENSITIVE, Action
from provisioner.secrets import Secret


def want(key: str = "K", value: object = "v", **kw: object) -> ResolvedVariable:
    return ResolvedVariable(key=key, value=value, **kw)  # type: ignore[arg-type]


def have(key: str = "K", value: str | None = "v", **kw: object) -> VariableRecord:
    return VariableRecord(key=key, value=value, **kw)  # type: ignore[arg-type]


def diff(
    desired: list[ResolvedVariable], observed: list[VariableRecord], prune: bool = False, rotate: bool = False
):
    return diff_variables("variables", desired, observed, prune=prune, options=PlanOptions(rotate=rotate))


@pytest.mark.parametrize(
    ("desired", "observed", "actions"),
    [
        ([want()], [], [Action.CREATE]),
        ([want()], [have()], []),
        ([want(value="new")], [have(value="old")], [Action.UPDATE]),
        ([want(protected=True)], [have()], [Action.UPDATE]),
        ([want(description="d")], [have(description=None)], [Action.UPDATE]),
        ([], [have()], [Action.UNMANAGED]),
        # identity is key + scope: the same key in another scope is another variable
        ([want(environment_scope="production")], [have()], [Action.CREATE, Action.UNMANAGED]),
        (
            [want(environment_scope="production"), want(environment_scope="staging")],
            [have(environment_scope="staging"), have(environment_scope="production")],
            [],
        ),
    ],
)
def test_diff_table(desired, observed, actions):
    assert [c.action for c in diff(desired, observed)] == actions


def test_prune_deletes_unnamed_variables_instead_of_reporting_them():
    changes = diff([], [have("OLD")], prune=True)
    assert [(c.action, c.target) for c in changes] == [(Action.DELETE, "variable OLD")]


def test_hidden_variable_reads_back_null_and_compares_on_metadata_only():
    """DESIGN.md trap: hidden variables read back value null; no churn, no blind rewrite."""
    secret = Secret("s3cr3t-value-123", "env:X")
    desired = [want(value=secret, masked=True, hidden=True)]
    observed = [have(value=None, masked=True, hidden=True)]
    assert diff(desired, observed) == []
    rotated = diff(desired, observed, rotate=True)
    assert [c.action for c in rotated] == [Action.UPDATE]
    assert rotated[0].after == {"value": SENSITIVE}


def test_hiding_an_existing_variable_replaces_it():
    desired = [want(value=Secret("abcdefgh12345678"), masked=True, hidden=True)]
    assert [c.action for c in diff(desired, [have(value="abcdefgh12345678", masked=True)])] == [
        Action.REPLACE
    ]


def test_value_unmanaged_never_compares_value():
    assert diff([want(value=None, masked=True)], [have(value="anything", masked=True)]) == []


def test_sensitive_values_never_appear_in_changes():
    secret = Secret("top-secret-value-42")
    changes = diff([want(value=secret, masked=True)], [have(value="old-secret-value-1", masked=True)])
    text = repr([c.public() for c in changes])
    assert "top-secret-value-42" not in text and "old-secret-value-1" not in text
    assert changes[0].after == {"value": SENSITIVE}


def test_masked_value_read_from_gitlab_is_never_shown_in_unmanaged_notice():
    record = to_record({"key": "TOKEN", "value": "read-back-secret-99", "masked": True})
    changes = diff([], [record])
    assert "read-back-secret-99" not in repr([c.public() for c in changes])


def test_the_value_the_inventory_states_is_shown_never_gitlabs():
    """GitLab's value is not the inventory's to show (a report may be read by anyone who can download a
    job's artifacts): the change says it differs, and what the inventory wants."""
    change = diff([want(value="https://new")], [have(value="https://old")])[0]
    assert change.before == {"value": NOT_SHOWN} and change.after == {"value": "https://new"}
    assert "https://old" not in repr(change.public())
