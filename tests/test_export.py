"""Write a real ThermalResult to disk, read every file back, and check the atomic-write promise.

The result is built directly from arrays on a small grid whose z cells range from 50 um to 1.5 mm,
so a reader that assumed uniform z spacing would fail the geometry checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from wafersolve import export
from wafersolve.case.model import (
    Backside,
    Case,
    Cooling,
    GridSpec,
    Layer,
    Material,
    Power,
    SolverSettings,
    Wafer,
)
from wafersolve.errors import ExportError
from wafersolve.grid import build_grid
from wafersolve.results import HotSpot, LayerStats, SolveInfo, ThermalResult

NX, NY = 6, 4
HEATED = "wafer"


def make_case(direction: str = "+x") -> Case:
    """A five-layer stack, 60 x 40 mm, 3 x 2 reticle tiles, non-uniform z cells."""
    si = Material("silicon", (148.0, 148.0, 148.0), k_exponent=1.3)
    cu = Material("copper", (390.0, 390.0, 390.0))
    fr4 = Material("fr4", (0.8, 0.8, 0.3))
    tim = Material("tim", (5.0, 5.0, 5.0))
    layers = (
        Layer("pcb", fr4, 3.0e-3, cells=2),  # 1.5 mm cells
        Layer("bond", tim, 50e-6, cells=1),  # 50 um
        Layer(HEATED, si, 0.775e-3, cells=3),
        Layer("tim", tim, 100e-6, cells=1),
        Layer("coldplate", cu, 2.0e-3, cells=2),
    )
    tiles = np.array([[100.0, 120.0, 140.0], [160.0, 180.0, 200.0]])
    return Case(
        name="export-test",
        wafer=Wafer(size_m=(0.060, 0.040), tiles=(3, 2), tile_size_m=(0.018, 0.018)),
        layers=layers,
        contacts=(),
        power=Power(layer=HEATED, depth="bottom", tile_power_W=tiles),
        cooling=Cooling(direction=direction),
        backside=Backside(),
        grid=GridSpec(nx=NX, ny=NY),
        solver=SolverSettings(),
        description="built in tests/test_export.py",
    )


def make_result(direction: str = "+x", T_offset_K: float = 0.0) -> ThermalResult:
    """A ThermalResult with a field whose every cell differs, so any reordering shows."""
    case = make_case(direction)
    grid = build_grid(case)
    zc, yc, xc = np.meshgrid(grid.z_centers_m, grid.y_centers_m, grid.x_centers_m, indexing="ij")
    T = 300.0 + T_offset_K + 2000.0 * zc + 300.0 * xc + 100.0 * yc**2
    power = np.zeros((grid.ny, grid.nx))
    power[1:3, 1:5] = 900.0 / 8  # W per column
    q = np.linspace(1e4, 8e4, grid.nx * grid.ny).reshape(grid.ny, grid.nx)
    stats = tuple(
        LayerStats(name, float(T[sl].min()), float(T[sl].mean()), float(T[sl].max()))
        for name, sl in grid.layer_slices().items()
    )
    k, j, i = np.unravel_index(int(np.argmax(T)), T.shape)
    hot = HotSpot(
        T_K=float(T[k, j, i]),
        x_m=float(grid.x_centers_m[i]),
        y_m=float(grid.y_centers_m[j]),
        z_m=float(grid.z_centers_m[k]),
        layer=grid.layer_names[grid.layer_of_cell[k]],
        index=(int(k), int(j), int(i)),
    )
    strips = grid.nx if direction.endswith("x") else grid.ny
    info = SolveInfo(
        iterations=17,
        outer_iterations=2,
        residual_history=(1.0, 1e-5, 1e-9),
        relative_residual=1e-9,
        wall_time_s=0.25,
        energy_balance_relative=1e-12,
    )
    return ThermalResult(
        case=case,
        grid=grid,
        T_K=T,
        power_W=power,
        layer_stats=stats,
        hotspot=hot,
        tile_T_max_K=np.array([[310.0, 311.0, 312.0], [313.0, 314.0, 315.0]]),
        coolant_T_K=np.linspace(298.15, 300.15, strips + 1),
        coolant_s_m=np.linspace(0.0, 0.06, strips + 1),
        q_coldplate_W_per_m2=q,
        P_W=900.0,
        Q_coolant_W=899.0,
        Q_backside_W=1.0,
        info=info,
    )


@pytest.fixture(scope="module")
def result() -> ThermalResult:
    return make_result()


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("out")
    paths = export.write_results(result, folder, formats=("vtr", "vti", "json", "vtu", "xdmf"))
    return folder, paths


def leftovers(folder) -> list[str]:
    """Temporary files (hidden, '.tmp' in the name) left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


# -- what is written ------------------------------------------------------------------------------
def test_write_results_writes_the_promised_files(written):
    folder, paths = written
    expected = {
        "summary": "summary.json",
        "case": "case_resolved.json",
        "vtr": "temperature.vtr",
        "vti": "wafer.vti",
        "vtu": "temperature.vtu",
        "xdmf": "temperature.xdmf",
        "h5": "temperature.h5",
    }
    assert {k: p.name for k, p in paths.items()} == expected
    assert sorted(p.name for p in folder.iterdir()) == sorted(expected.values())
    assert all(p.parent == folder and p.stat().st_size > 0 for p in paths.values())


def test_default_formats_write_vtr_vti_and_json(result, tmp_path):
    paths = export.write_results(result, tmp_path / "new" / "folder")
    assert sorted(paths) == ["case", "summary", "vti", "vtr"]
    assert all(p.is_file() for p in paths.values())


def test_vtr_read_by_pyvista_keeps_values_and_nonuniform_z(result, written):
    import pyvista as pv

    grid = result.grid
    mesh = pv.read(written[1]["vtr"])
    assert isinstance(mesh, pv.RectilinearGrid)
    assert mesh.n_cells == grid.n_cells
    np.testing.assert_array_equal(mesh.x, grid.x_edges_m)
    np.testing.assert_array_equal(mesh.y, grid.y_edges_m)
    np.testing.assert_array_equal(mesh.z, grid.z_edges_m)
    dz = np.diff(mesh.z)
    assert dz.min() == pytest.approx(50e-6) and dz.max() == pytest.approx(1.5e-3)
    np.testing.assert_array_equal(mesh.cell_data["T_K"], result.T_K.ravel())
    np.testing.assert_allclose(mesh.cell_data["T_C"], result.T_K.ravel() - 273.15)
    assert np.issubdtype(mesh.cell_data["layer"].dtype, np.integer)
    layer = np.broadcast_to(grid.layer_of_cell[:, None, None], grid.shape).ravel()
    np.testing.assert_array_equal(mesh.cell_data["layer"], layer)
    assert list(mesh.field_data["layer_names"]) == list(grid.layer_names)
    # VTK's cell order is x fastest: the cell containing a point carries that cell's value
    k, j, i = 4, 2, 5
    point = (grid.x_centers_m[i], grid.y_centers_m[j], grid.z_centers_m[k])
    assert mesh.cell_data["T_K"][mesh.find_containing_cell(point)] == result.T_K[k, j, i]


def test_vtr_read_by_vtk_reader(result, written):
    fields = export.read_vtk(written[1]["vtr"])
    grid = result.grid
    np.testing.assert_array_equal(fields.z_edges_m, grid.z_edges_m)
    np.testing.assert_array_equal(fields.x_edges_m, grid.x_edges_m)
    assert fields.cell_data["T_K"].shape == grid.shape
    np.testing.assert_array_equal(fields.cell_data["T_K"], result.T_K)
    power = fields.cell_data["power_W_per_m2"]
    heated = grid.layer_slices()[HEATED]
    density = result.power_W / (grid.dx_m * grid.dy_m)
    for k in range(grid.nz):
        expected = density if heated.start <= k < heated.stop else np.zeros_like(density)
        np.testing.assert_allclose(power[k], expected)
    # the areal density integrates back to the deposited power
    assert power[heated.start].sum() * grid.dx_m * grid.dy_m == pytest.approx(result.power_W.sum())
    assert fields.field_data["case"] == ("export-test",)


def test_vti_holds_the_wafer_maps(result, written):
    import pyvista as pv

    grid = result.grid
    img = pv.read(written[1]["vti"])
    assert isinstance(img, pv.ImageData)
    assert img.dimensions == (NX + 1, NY + 1, 1)
    assert img.n_cells == NX * NY
    np.testing.assert_allclose(img.spacing[:2], (grid.dx_m, grid.dy_m))
    np.testing.assert_allclose(img.origin, (0.0, 0.0, 0.0))

    fields = export.read_vtk(written[1]["vti"])
    maps = fields.cell_data
    np.testing.assert_allclose(fields.x_edges_m, grid.x_edges_m, rtol=0, atol=1e-15)
    np.testing.assert_allclose(fields.y_edges_m, grid.y_edges_m, rtol=0, atol=1e-15)
    for name, sl in grid.layer_slices().items():
        block = result.T_K[sl]
        dz = grid.dz_m[sl]
        np.testing.assert_array_equal(maps[f"T_max_{name}_K"], block.max(axis=0))
        weighted = (block * dz[:, None, None]).sum(axis=0) / dz.sum()
        np.testing.assert_allclose(maps[f"T_mean_{name}_K"], weighted, rtol=1e-14)
        np.testing.assert_allclose(img.cell_data[f"T_max_{name}_K"], block.max(axis=0).ravel())
    np.testing.assert_array_equal(maps["q_coldplate_W_per_m2"], result.q_coldplate_W_per_m2)
    np.testing.assert_allclose(maps["power_W_per_m2"], result.power_W / (grid.dx_m * grid.dy_m))
    np.testing.assert_array_equal(maps["T_max_K"], result.T_K.max(axis=0))


def test_vti_tile_map_follows_the_reticle_grid(result, written):
    maps = export.read_vtk(written[1]["vti"]).cell_data
    tile = maps["tile"]
    assert np.issubdtype(tile.dtype, np.integer)
    # 60 x 40 mm wafer, 3 x 2 tiles of 18 mm centred: x tiles from 3 mm, y tiles from 2 mm;
    # cell centres at x = 5, 15, ..., 55 mm and y = 5, 15, 25, 35 mm
    expected = np.array(
        [
            [0, 0, 1, 1, 2, 2],
            [0, 0, 1, 1, 2, 2],
            [3, 3, 4, 4, 5, 5],
            [3, 3, 4, 4, 5, 5],
        ]
    )
    np.testing.assert_array_equal(tile, expected)
    np.testing.assert_array_equal(maps["tile_T_max_K"], result.tile_T_max_K.ravel()[expected])


def test_tile_map_marks_cells_outside_the_tiles():
    res = make_result()
    small = Wafer(size_m=(0.060, 0.040), tiles=(2, 1), tile_size_m=(0.020, 0.020))
    maps = export.wafer_maps(replace(res, case=replace(res.case, wafer=small)))
    tile = maps["tile"]
    # tiles span x 10..50 mm, y 10..30 mm: the outer ring of cell centres lies outside
    assert (tile[[0, -1], :] == -1).all() and (tile[:, [0, -1]] == -1).all()
    np.testing.assert_array_equal(tile[1:3, 1:5], [[0, 0, 1, 1], [0, 0, 1, 1]])
    assert np.isnan(maps["tile_T_max_K"][tile < 0]).all()
    assert not np.isnan(maps["tile_T_max_K"][tile >= 0]).any()


@pytest.mark.parametrize("direction", ["+x", "-x", "+y", "-y"])
def test_coolant_map_runs_along_the_flow(direction):
    res = make_result(direction)
    cool = export.wafer_maps(res)["coolant_T_K"]
    axis = 1 if direction.endswith("x") else 0
    profile = cool.mean(axis=1 - axis)
    steps = np.diff(profile)
    assert (steps > 0).all() if direction.startswith("+") else (steps < 0).all()
    inlet, outlet = res.coolant_T_K[0], res.coolant_T_K[-1]
    assert inlet < cool.min() and cool.max() < outlet


def test_summary_json_is_strict_sorted_and_complete(result, written):
    path = written[1]["summary"]
    text = path.read_text(encoding="utf-8")

    def refuse(token):
        raise AssertionError(f"non-JSON number {token}")

    data = json.loads(text, parse_constant=refuse)
    assert list(data) == sorted(data)
    expected = result.summary()
    for key, value in expected.items():
        assert data[key] == pytest.approx(value) if isinstance(value, float) else data[key] == value
    assert "kelvin" in data["units_note"]
    assert export.read_summary(path) == data


def test_case_resolved_json_matches_case_to_dict(result, written):
    from wafersolve.case.resolved import case_to_dict

    data = export.read_summary(written[1]["case"])
    assert data == json.loads(json.dumps(case_to_dict(result.case)))


def test_nan_in_the_summary_fails_loudly_and_writes_nothing(tmp_path):
    res = replace(make_result(), Q_backside_W=float("nan"))
    with pytest.raises(ExportError, match="Q_backside_W = nan"):
        export.write_results(res, tmp_path, formats=("json",))
    assert list(tmp_path.iterdir()) == []


def test_meshio_vtu_reads_back(result, written):
    import meshio
    import pyvista as pv

    grid = result.grid
    mesh = meshio.read(written[1]["vtu"])
    assert [c.type for c in mesh.cells] == ["hexahedron"]
    assert len(mesh.cells[0].data) == grid.n_cells
    assert len(mesh.points) == (grid.nx + 1) * (grid.ny + 1) * (grid.nz + 1)
    np.testing.assert_array_equal(mesh.cell_data["T_K"][0], result.T_K.ravel())
    np.testing.assert_array_equal(np.unique(mesh.points[:, 2]), grid.z_edges_m)
    ug = pv.read(written[1]["vtu"])
    lx, ly = result.case.wafer.size_m
    assert ug.volume == pytest.approx(lx * ly * grid.z_edges_m[-1], rel=1e-12)
    # the hexahedra are consistently oriented: every cell has a positive volume
    sizes = ug.compute_cell_sizes(length=False, area=False, volume=True).cell_data["Volume"]
    assert (sizes > 0).all()


def test_meshio_xdmf_reads_back_and_names_its_h5(result, written):
    import meshio
    from vtkmodules.vtkIOXdmf2 import vtkXdmfReader

    folder, paths = written
    text = paths["xdmf"].read_text(encoding="utf-8")
    assert ">temperature.h5:/" in text and ".tmp" not in text
    mesh = meshio.read(paths["xdmf"])
    np.testing.assert_array_equal(mesh.cell_data["T_K"][0], result.T_K.ravel())
    np.testing.assert_array_equal(
        mesh.cell_data["layer"][0], np.repeat(result.grid.layer_of_cell, NX * NY)
    )
    reader = vtkXdmfReader()
    reader.SetFileName(str(paths["xdmf"]))
    reader.Update()
    assert reader.GetOutputDataObject(0).GetNumberOfCells() == result.grid.n_cells


def test_unknown_format_is_an_export_error(result, tmp_path):
    with pytest.raises(ExportError, match="unknown output format 'png'"):
        export.write_results(result, tmp_path, formats=("vtr", "png"))
    assert list(tmp_path.iterdir()) == []


def test_inconsistent_result_is_refused(tmp_path):
    res = replace(make_result(), power_W=np.zeros((2, 2)))
    with pytest.raises(ExportError, match=r"result.power_W has shape \(2, 2\)"):
        export.write_results(res, tmp_path)


# -- atomic writes ------------------------------------------------------------------------------
def test_writer_failing_midway_leaves_no_file(result, tmp_path, monkeypatch):
    """A writer that dies after writing part of a file leaves neither the file nor a temporary."""

    def half_write(writer, data, path):
        with export._atomic(path) as tmp:
            tmp.write_bytes(b'<?xml version="1.0"?>\n<VTKFile type="Rectilin')
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_run_vtk_writer", half_write)
    with pytest.raises(ExportError, match="temperature.vtr: cannot write it: No space left"):
        export.write_results(result, tmp_path, formats=("vtr",))
    assert list(tmp_path.iterdir()) == []


def test_interrupt_during_write_keeps_the_old_file(result, tmp_path, monkeypatch):
    """Ctrl-C after the temporary file is written but before the rename: the old file stays."""
    first = export.write_results(result, tmp_path, formats=("vtr", "json"))
    before = {name: p.read_bytes() for name, p in first.items()}

    def interrupted(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    newer = make_result(T_offset_K=5.0)
    for fmt in ("json", "vtr"):
        with pytest.raises(KeyboardInterrupt):
            export.write_results(newer, tmp_path, formats=(fmt,))
    monkeypatch.undo()
    assert {name: p.read_bytes() for name, p in first.items()} == before
    assert leftovers(tmp_path) == []
    np.testing.assert_array_equal(export.read_vtk(first["vtr"]).cell_data["T_K"], result.T_K)


@pytest.mark.parametrize("fmt", ["vti", "vtu", "xdmf"])
def test_every_writer_cleans_up_on_failure(result, tmp_path, monkeypatch, fmt):
    def disk_error(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", disk_error)
    with pytest.raises(ExportError, match="cannot write it: Input/output error"):
        export.write_results(result, tmp_path, formats=(fmt,))
    assert list(tmp_path.iterdir()) == []


def test_vtk_writer_error_becomes_export_error(result, tmp_path, monkeypatch):
    """A VTK failure (here: the temporary file's folder vanishes) is reported, not printed."""
    real_atomic = export._atomic

    def atomic_into_missing_folder(path):
        return real_atomic(path.parent / "gone" / path.name)

    monkeypatch.setattr(export, "_atomic", atomic_into_missing_folder)
    with pytest.raises(ExportError, match="VTK could not write it: Error opening output file"):
        export.write_results(result, tmp_path, formats=("vti",))
    assert list(tmp_path.iterdir()) == []


def test_read_vtk_rejects_other_files(tmp_path):
    with pytest.raises(ExportError, match="expected .vtr or .vti"):
        export.read_vtk(tmp_path / "x.vtu")
    with pytest.raises(ExportError, match="no such file"):
        export.read_vtk(tmp_path / "x.vtr")
    bad = tmp_path / "bad.vtr"
    bad.write_text("not xml")
    with pytest.raises(ExportError, match="cannot read it"):
        export.read_vtk(bad)


def test_importing_export_and_cli_loads_no_vtk_or_meshio():
    """pyvista, vtk, meshio and h5py are imported only when a file is written or read."""
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys, wafersolve, wafersolve.cli, wafersolve.export\n"
        "heavy = {'vtk', 'vtkmodules', 'pyvista', 'meshio', 'h5py'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
