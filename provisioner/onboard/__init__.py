"""Work that starts outside the inventory: bootstrap one new repository, import an existing estate,
and log in (the token in the OS keyring, never in a file)."""
