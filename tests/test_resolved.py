"""The resolved case: SI, JSON-serialisable, round-trips through json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wafersolve.case.load import load_case
from wafersolve.case.resolved import case_to_dict

CASES = Path(__file__).resolve().parents[1] / "cases"


def test_resolved_case_json_round_trip():
    case = load_case(CASES / "small.toml")
    d = case_to_dict(case)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    assert d["grid"]["nx"] == 64 and d["wafer"]["tiles"] == [12, 7]
    assert d["cooling"]["inlet_T_K"] == pytest.approx(294.15)
    assert d["layers"][2]["material"]["k_exponent"] == 1.3
    assert d["layers"][2]["thickness_m"] == pytest.approx(775e-6)
    assert np.array(d["power"]["tile_power_W"]).shape == (7, 12)
    assert d["power"]["total_W"] == pytest.approx(case.power.total_W)
    assert [h["name"] for h in d["power"]["hotspots"]] == ["core_cluster_a", "core_cluster_b"]
    assert d["backside"] == {"adiabatic": False, "h_W_per_m2_K": 10.0,
                             "ambient_T_K": pytest.approx(308.15)}


def test_resolved_case_summarises_maps_and_meshes():
    d = case_to_dict(load_case(CASES / "power_map.toml"))
    (m,) = d["power"]["maps"]
    assert m["source"] == "maps/wse3_power_map.npy" and m["shape"] == [120, 120]
    assert m["extent_m"] == pytest.approx([0, 0.215, 0, 0.215])
    assert m["power_W"] == pytest.approx(25_000, rel=1e-6) and len(m["sha256"]) == 64
    d = case_to_dict(load_case(CASES / "hotspot_mesh.toml"))
    (mesh,) = d["power"]["meshes"]
    assert mesh["triangles"] == 256 * 2 + 280
    assert json.loads(json.dumps(d)) == d
