"""A 3D continuum reference for the laminate model: CalculiX (``ccx``, quadratic C3D20R bricks).

Optional and slow: skipped when ``ccx`` is not on PATH (Debian: ``apt-get install
calculix-ccx``). A quarter of the 215 mm Si 0.775 mm / PCB 3.2 mm bonded square at +50 K with
symmetry planes; the interior curvature of the top surface is fitted as in the shared mechanics
reference §3, where CalculiX gave 0.241138 1/m against CLT's 0.241161 (0.009 %).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest
from mech_cases import PCB, SI, make_case, uniform_field

from wafersolve.mechanics import solve_mechanics

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("ccx") is None, reason="CalculiX (ccx) not installed")]

HALF = 0.1075
LAYERS = [("pcb", 25e9, 0.18, 16e-6, 3.2e-3, 3), ("si", 130e9, 0.278, 2.6e-6, 0.775e-3, 2)]


def write_deck(path, n=20):
    """C3D20R quarter plate: n x n elements in plane, LAYERS through the thickness."""
    zs = [0.0]
    mats = []
    for name, *_rest, h, cells in LAYERS:
        zs += list(zs[-1] + h * np.arange(1, cells + 1) / cells)
        mats += [name] * cells
    xh = np.linspace(0, HALF, 2 * n + 1)  # half-spacing lattice: corner and mid-side nodes
    zh = np.interp(np.arange(2 * len(mats) + 1) / 2, np.arange(len(zs)), zs)
    ids = {}
    lines = ["*NODE"]
    for k, z in enumerate(zh):
        for j, y in enumerate(xh):
            for i, x in enumerate(xh):
                if (i % 2) + (j % 2) + (k % 2) <= 1:
                    ids[i, j, k] = len(ids) + 1
                    lines.append(f"{ids[i, j, k]}, {x:.10e}, {y:.10e}, {z:.10e}")
    corner = [(0, 0, 0), (2, 0, 0), (2, 2, 0), (0, 2, 0), (0, 0, 2), (2, 0, 2), (2, 2, 2), (0, 2, 2)]
    mid = [(1, 0, 0), (2, 1, 0), (1, 2, 0), (0, 1, 0), (1, 0, 2), (2, 1, 2), (1, 2, 2), (0, 1, 2),
           (0, 0, 1), (2, 0, 1), (2, 2, 1), (0, 2, 1)]
    by_mat: dict[str, list[int]] = {}
    eid = 0
    elements = []
    for kc, mat in enumerate(mats):
        for jc in range(n):
            for ic in range(n):
                eid += 1
                nodes = [ids[2 * ic + a, 2 * jc + b, 2 * kc + c] for a, b, c in corner + mid]
                elements.append(f"{eid}, " + ", ".join(map(str, nodes[:15])) + ",\n"
                                + ", ".join(map(str, nodes[15:])))
                by_mat.setdefault(mat, []).append(eid)
    lines += ["*ELEMENT, TYPE=C3D20R, ELSET=EALL", *elements]
    for mat, els in by_mat.items():
        lines.append(f"*ELSET, ELSET=E{mat}")
        lines += [", ".join(map(str, els[i:i + 12])) for i in range(0, len(els), 12)]
    for sel, name in (((lambda i, j, k: i == 0), "NX0"), ((lambda i, j, k: j == 0), "NY0"),
                      ((lambda i, j, k: k == len(zh) - 1), "NTOP")):
        lines.append(f"*NSET, NSET={name}")
        members = [v for key, v in ids.items() if sel(*key)]
        lines += [", ".join(map(str, members[i:i + 12])) for i in range(0, len(members), 12)]
    for name, E, nu, alpha, *_ in LAYERS:
        lines += [f"*MATERIAL, NAME=M{name}", "*ELASTIC", f"{E:.6e}, {nu}",
                  "*EXPANSION, ZERO=25.", f"{alpha:.6e}",
                  f"*SOLID SECTION, ELSET=E{name}, MATERIAL=M{name}"]
    lines += ["*INITIAL CONDITIONS, TYPE=TEMPERATURE", "EALL_NODES, 25.",
              "*STEP", "*STATIC", "*BOUNDARY", "NX0, 1, 1", "NY0, 2, 2", f"{ids[0, 0, 0]}, 3, 3",
              "*TEMPERATURE", "EALL_NODES, 75.", "*NODE PRINT, NSET=NTOP", "U", "*END STEP"]
    text = "\n".join(lines) + "\n"
    text = text.replace("EALL_NODES", "NALL")
    text = text.replace("*ELEMENT, TYPE=C3D20R", f"*NSET, NSET=NALL, GENERATE\n1, {len(ids)}, 1\n"
                        "*ELEMENT, TYPE=C3D20R", 1)
    path.write_text(text)
    coords = {v: (xh[i], xh[j]) for (i, j, k), v in ids.items() if k == len(zh) - 1}
    return coords


def test_bonded_square_matches_calculix_3d(tmp_path):
    coords = write_deck(tmp_path / "plate.inp")
    env = dict(os.environ, OMP_NUM_THREADS="2")
    subprocess.run(["ccx", "-i", "plate"], cwd=tmp_path, env=env, check=True, capture_output=True,
                   timeout=600)
    rows = []
    for line in (tmp_path / "plate.dat").read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0].isdigit():
            node = int(parts[0])
            if node in coords:
                rows.append((*coords[node], float(parts[3])))
    r = np.array(rows)
    inner = np.hypot(r[:, 0], r[:, 1]) < HALF / 2  # away from the free-edge zones
    A = np.column_stack([np.ones(inner.sum()), (r[inner, 0] ** 2 + r[inner, 1] ** 2) / 2])
    kappa_ccx = np.linalg.lstsq(A, r[inner, 2], rcond=None)[0][1]

    case = make_case([("pcb", PCB, 3.2e-3, 2), ("si", SI, 0.775e-3, 2)], n=(8, 8))
    grid, T = uniform_field(case, {"pcb": 50.0, "si": 50.0})
    w = solve_mechanics(case, grid, T).layer("si").w_m
    h = grid.dx_m
    kappa_ours = (w[4, 5] - 2 * w[4, 4] + w[4, 3]) / h**2
    assert kappa_ccx == pytest.approx(0.241138, rel=2e-4)
    assert kappa_ours == pytest.approx(kappa_ccx, rel=5e-4)
