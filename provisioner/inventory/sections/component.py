"""`component`: this project is a CI/CD component project, whose files, version tags and place in the
CI/CD catalog the tool keeps (provisioner/facets/component.py, provisioner/blueprint/component.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from provisioner.blueprint.component import RELEASE_IMAGE
from provisioner.inventory.schema.base import _Model
from provisioner.inventory.schema.project import SEMANTIC_VERSION


class ComponentSection(_Model):
    blueprint: Annotated[str, Field(min_length=1)]
    """The blueprint whose pipeline this project publishes as a CI/CD component (templates/NAME.yml)."""
    version: Annotated[str, Field(pattern=SEMANTIC_VERSION)]
    """The component's version, a semantic version as the catalog wants it (1.2.0): the tag the tool
    pushes once the default branch holds this rendering. A version once tagged is never moved: to
    change the component (a new blueprint version, other blueprint_vars), give it a new version."""
    blueprint_vars: dict[str, Any] = {}
    """The pipeline's choices, the same for every project that includes this version (signing,
    publish_to, python_versions, ...). The component's inputs (python-package: registry_project,
    signatures_package, signing_public_key) are each project's own, from its blueprint_vars."""
    catalog: bool = True
    """Make the project a CI/CD catalog project (GitLab 17.0+; needs the project's Owner). The catalog
    lists a version once its tag's release job has run, for a project with a description."""
    release_image: Annotated[str, Field(min_length=1)] = RELEASE_IMAGE
    """The image of the project's release job (it needs release-cli or glab)."""
