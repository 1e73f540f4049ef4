"""Protected branches and tags: the default branch's protection, more branches and tags by name or
wildcard."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from provisioner.inventory.schema.base import _Model

RefName = Annotated[str, Field(min_length=1, max_length=255)]
"""ProtectedRef: `validates :name, presence: true` [G:app/models/concerns/protected_ref.rb]; 255 is the
column's length (`character varying(255)`, unverified for every version)."""
RefAccessLevel = Literal["no_one", "developer", "maintainer", "admin"]
"""Protected branch and tag levels: no_one = 0, developer = 30, maintainer = 40, admin = 60."""

REF_ACCESS_LEVELS: dict[str, int] = {"no_one": 0, "developer": 30, "maintainer": 40, "admin": 60}


class BranchProtection(_Model):
    push_access_level: RefAccessLevel = "maintainer"
    merge_access_level: RefAccessLevel = "maintainer"
    unprotect_access_level: RefAccessLevel | None = None
    """Left out: not managed. GitLab CE neither shows nor takes it (Premium); GitLab's default is maintainer."""
    allow_force_push: bool = False

    @model_validator(mode="after")
    def _someone_may_unprotect(self) -> BranchProtection:
        if self.unprotect_access_level == "no_one":
            raise ValueError("unprotect_access_level cannot be no_one (GitLab refuses it)")
        return self


class TagProtection(_Model):
    create_access_level: RefAccessLevel = "maintainer"


class Protection(_Model):
    default_branch: BranchProtection | None = None
    """Protection of the project's default branch, whatever it is called."""
    branches: dict[RefName, BranchProtection] = {}
    """More protected branches by name or wildcard (release/*)."""
    tags: dict[RefName, TagProtection] = {}
    """Protected tags by name or wildcard; release jobs run only on protected tags such as v*."""
    release_tags: bool = True
    """Protect the tags the project's blueprint releases from (its manifest's `release_tags.protected`,
    python-package: v*) with create_access_level maintainer, unless `tags` names a rule that covers
    them. false: leave them alone (the release jobs then never run; validate warns)."""
