"""Load, merge and validate `inventory.yaml`; resolve secret references. No API call happens here."""
