"""The inventory sections that facets bring, one module per facet (see the facet recipe): each a pydantic
model, `extra="forbid"` and frozen, its field docstrings the documentation. The loader adds each
registered facet's section to the schema (`inventory.schema.project_model`)."""
