"""Load, merge and validate `inventory.yaml`; resolve secret references. No API call happens here.

How the inventory reads:

- Layers: `defaults` < each group containing the project, at any depth, shallowest first < the
  project. Mappings merge deeply, lists replace, `null` removes what an earlier layer set (on its
  own a layer's `null` removes nothing). Under `variables` each key's definition replaces the
  inherited one whole; `prune` merges like any flag. `group_variables` belong to the group itself
  and are not inherited by anything (GitLab passes group variables down at run time).
- Files: every file, included or not, has `version: 1` and may hold `include`, `defaults`,
  `groups` and `projects`. `include` lists glob patterns relative to the file that names them (the
  matches of a pattern in sorted order; a pattern matching nothing is an error; a file met twice is
  read once; a file including itself, even through others, is an error).
- `defaults` fragments of several files merge like layers, as GitLab CI's `include` does: a file's
  included files first, in order, then the file itself on top (the main file wins).
- Groups and projects are defined in exactly one place: the same path twice, in one file or in
  two, or in two spellings differing only in case (GitLab paths ignore case), is an error naming
  both places. So a team's file cannot silently change another team's project.
- Every secret reference anywhere is resolved while loading; `file:` paths are relative to the
  file that names them.
- Each file is checked on its own (precise positions), then each merged project (problems that
  only appear once layers combine); a problem in a value many projects inherit is reported once,
  at the line that wrote it.
- A selection (`only`, the CLI's filters) picks projects and groups by full path or glob, ignoring
  case; a group's own variables are managed only when the group itself is selected. The whole
  inventory is validated whatever the selection, and a pattern that selects nothing is an error.
"""

from __future__ import annotations

from provisioner.inventory.json_schema import inventory_json_schema
from provisioner.inventory.loader import load_inventory
from provisioner.inventory.spec import GroupSpec, LoadedInventory, ProjectSpec, ResolvedVariable

__all__ = [
    "GroupSpec",
    "LoadedInventory",
    "ProjectSpec",
    "ResolvedVariable",
    "inventory_json_schema",
    "load_inventory",
]
