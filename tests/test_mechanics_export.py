"""Mechanics results written to disk and read back: summary.json, wafer.vti, mechanics.vtr."""

from __future__ import annotations

import json

import numpy as np
import pytest

from wafersolve import build_grid, load_case, solve_thermal, write_results
from wafersolve.export import read_vtk
from wafersolve.mechanics import solve_mechanics


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    case = load_case("cases/small.toml")
    grid = build_grid(case)
    thermal = solve_thermal(case, grid)
    mech = solve_mechanics(case, grid, thermal.T_K)
    folder = tmp_path_factory.mktemp("mech")
    paths = write_results(thermal, folder, mechanics=mech)
    return thermal, mech, paths


def test_files_and_summary(written):
    thermal, mech, paths = written
    assert set(paths) == {"summary", "case", "vtr", "vti", "mechanics_vtr"}
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    for key, value in mech.summary().items():
        assert summary[key] == pytest.approx(value) if isinstance(value, float) else value
    assert summary["T_max_K"] == pytest.approx(thermal.hotspot.T_K)
    assert summary["mech_warning_texts"] == list(mech.warnings)


def test_mechanics_vtr_round_trip(written):
    import pyvista as pv

    _, mech, paths = written
    data = pv.read(paths["mechanics_vtr"])
    ny, nx = mech.layers[0].w_m.shape
    assert data.dimensions == (nx, ny, 1)
    np.testing.assert_allclose(data.x, mech.x_nodes_m)
    wafer = mech.layer("wafer")
    disp = np.asarray(data.point_data["displacement_wafer_m"]).reshape(ny, nx, 3)
    np.testing.assert_allclose(disp[..., 2], wafer.w_m)
    np.testing.assert_allclose(disp[..., 0], wafer.u_m)
    sig = np.asarray(data.cell_data["sigma_xx_wafer_top_Pa"]).reshape(ny - 1, nx - 1)
    np.testing.assert_allclose(sig, wafer.sigma_xx_Pa[1])
    gap = np.asarray(data.point_data["gap_change_connector_m"]).reshape(ny, nx)
    np.testing.assert_allclose(gap, mech.interface("connector").gap_change_m)
    assert list(data.field_data["plate_layers"]) == ["pcb", "wafer", "cold_plate"]
    assert "shear_strain_tim" not in data.point_data  # a slip interface only slides


def test_wafer_vti_holds_the_mechanics_maps(written):
    thermal, mech, paths = written
    maps = read_vtk(paths["vti"]).cell_data
    grid = thermal.grid
    s1 = maps["sigma_1_max_wafer_Pa"]
    assert s1.shape == (grid.ny, grid.nx)
    # each thermal cell carries its mechanics cell's value: 4 x 4 thermal cells per mechanics cell
    np.testing.assert_allclose(s1[::4, ::4], mech.layer("wafer").sigma_1_Pa.max(axis=0))
    assert maps["T_max_K"].max() == pytest.approx(thermal.hotspot.T_K)
    for name in ("gap_change_connector_m", "shear_strain_connector", "w_cold_plate_m",
                 "sigma_xx_pcb_bottom_Pa", "displacement_tim_m"):
        assert np.all(np.isfinite(maps[name]))


def test_clipped_outline_is_written_as_nan_outside(tmp_path):
    """A case clipped to a 240 mm circle: the cells outside carry NaN in mechanics.vtr and
    wafer.vti (ParaView and the plots show them blank), the summary stays finite."""
    from dataclasses import replace

    import pyvista as pv

    case = load_case("cases/small.toml")
    case = replace(case, mechanics=replace(case.mechanics, outline_diameter_m=0.240))
    grid = build_grid(case)
    thermal = solve_thermal(case, grid)
    mech = solve_mechanics(case, grid, thermal.T_K)
    paths = write_results(thermal, tmp_path, mechanics=mech)
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert all(np.isfinite(v) for k, v in summary.items()
               if k.startswith("mech_") and isinstance(v, float))
    sig = np.asarray(pv.read(paths["mechanics_vtr"]).cell_data["sigma_xx_wafer_top_Pa"])
    corner = sig.reshape(mech.layers[0].sigma_xx_Pa.shape[1:])[0, 0]
    centre = sig.reshape(mech.layers[0].sigma_xx_Pa.shape[1:])[8, 8]
    assert np.isnan(corner) and np.isfinite(centre)
    s1 = read_vtk(paths["vti"]).cell_data["sigma_1_max_wafer_Pa"]
    assert np.isnan(s1[0, 0]) and np.isfinite(s1[grid.ny // 2, grid.nx // 2])
