"""The inventory sections that facets bring (`Facet.schema`), one module per facet (see the facet recipe).

The loader adds each registered facet's section to the schema (`inventory.schema.project_model`);
nothing here is named in `inventory/schema/`. Models forbid unknown keys, are frozen, and their field
docstrings are the documentation (the JSON Schema and `--help` read them).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
