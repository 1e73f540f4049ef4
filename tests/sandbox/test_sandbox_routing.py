"""The route table: raw-path matching, precedence, and one key per route."""

from __future__ import annotations

from collections import Counter

from provisioner.sandbox.routes import MODULES, build_table


def test_encoded_slashes_stay_inside_one_segment():
    """REFERENCE 0.1: `grp%2Fsub%2Fproj` is one :id; file paths and branches likewise."""
    found = build_table().match("GET", "/api/v4/projects/a%2Fb%2Fc/repository/files/src%2Fx.py/raw")
    assert found is not None
    route, params = found
    assert route.key == "GET /api/v4/projects/:id/repository/files/:file_path/raw"
    assert params == {"id": "a/b/c", "file_path": "src/x.py"}


def test_literal_segments_win_and_head_falls_back_to_get():
    """Design: /runners/all is not /runners/:id; HEAD uses GET routes unless it has its own."""
    table = build_table()
    found = table.match("GET", "/api/v4/runners/all")
    assert found is not None and found[0].key == "GET /api/v4/runners/all"
    head = table.match("HEAD", "/api/v4/projects/7")
    assert head is not None and head[0].key == "GET /api/v4/projects/:id"
    files = table.match("HEAD", "/api/v4/projects/7/repository/files/README.md")
    assert files is not None and files[0].key.startswith("HEAD ")
    assert table.match("GET", "/api/v4/projects/7/nothing-here") is None


def test_every_module_registers_routes_with_unique_keys():
    """Design: one table; the route templates are the counters' keys, so they must be unique."""
    keys = [route.key for module in MODULES for route in module.ROUTES.routes]
    assert all(module.ROUTES.routes for module in MODULES)
    assert [key for key, count in Counter(keys).items() if count > 1] == []
    assert all(" /api/" in key for key in keys)
