"""The inventory's schema: the user-facing contract, one module per section (settings, variables,
runners, registry, protection), each checked offline against GitLab's own limits.

Field docstrings are the documentation: they feed the exported JSON Schema (`provisioner schema`) and
editors' completion. Every model forbids unknown keys; the loader turns pydantic's errors into
`file:line:column: field: message` with a did-you-mean. A field left out (or set to null in a more
specific layer) is not managed: the tool neither reads nor writes it. A default below is what the
tool writes when it creates the thing (a variable, a runner, a protected branch or tag); it is never
compared with what exists (the facets compare `model_fields_set`, what the inventory wrote).
"""

from provisioner.inventory.schema.base import TokenStore, full_path_problem
from provisioner.inventory.schema.project import Group, Inventory, Project
from provisioner.inventory.schema.protection import (
    REF_ACCESS_LEVELS,
    BranchProtection,
    Protection,
    RefAccessLevel,
    TagProtection,
)
from provisioner.inventory.schema.registry import (
    CleanupPolicy,
    ContainerProtectionRule,
    DeployToken,
    DeployTokenScope,
    JobTokenScope,
    PackageDeleteLevel,
    PackageProtectionRule,
    PackageType,
    Registry,
    RuleAccessLevel,
)
from provisioner.inventory.schema.runners import ProjectRunner, Runners, RunnerSelector
from provisioner.inventory.schema.sections import (
    NO_SECTIONS,
    Sections,
    group_model,
    group_own_model,
    inventory_model,
    project_model,
)
from provisioner.inventory.schema.settings import (
    ONE_MONTH_SECONDS,
    AccessLevel,
    PackageRegistryAccessLevel,
    PagesAccessLevel,
    Settings,
    SubClaimComponent,
)
from provisioner.inventory.schema.variables import (
    MASKABLE_VALUE,
    MASKING_RULE,
    VARIABLE_KEY,
    Variable,
    VariableKey,
    Variables,
)

__all__ = [
    "MASKABLE_VALUE",
    "MASKING_RULE",
    "NO_SECTIONS",
    "ONE_MONTH_SECONDS",
    "REF_ACCESS_LEVELS",
    "VARIABLE_KEY",
    "AccessLevel",
    "BranchProtection",
    "CleanupPolicy",
    "ContainerProtectionRule",
    "DeployToken",
    "DeployTokenScope",
    "Group",
    "Inventory",
    "JobTokenScope",
    "PackageDeleteLevel",
    "PackageProtectionRule",
    "PackageRegistryAccessLevel",
    "PackageType",
    "PagesAccessLevel",
    "Project",
    "ProjectRunner",
    "Protection",
    "RefAccessLevel",
    "Registry",
    "RuleAccessLevel",
    "RunnerSelector",
    "Runners",
    "Sections",
    "Settings",
    "SubClaimComponent",
    "TagProtection",
    "TokenStore",
    "Variable",
    "VariableKey",
    "Variables",
    "full_path_problem",
    "group_model",
    "group_own_model",
    "inventory_model",
    "project_model",
]
