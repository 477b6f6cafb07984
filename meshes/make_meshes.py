"""Regenerate the example meshes in this folder: ``python meshes/make_meshes.py``.

``hotspots.vtu`` is a flat 2D mesh (coordinates in millimetres, measured from the wafer's
lower-left corner) covering the two central tiles of the middle tile row of a 215 mm WSE-3-like
wafer and a margin around them. It mixes quads (the outer ring) and triangles (the centre, each
square cut in two) so both cell types are exercised. Its cell field ``q`` is a power density in
W/m^2: a 20 W/cm^2 background plus two Gaussian hot spots of about 150 W each, evaluated at the
cell centroids. It is used by ``cases/hotspot_mesh.toml``.
"""

from __future__ import annotations

from pathlib import Path

import meshio
import numpy as np

HERE = Path(__file__).resolve().parent

X0_MM, Y0_MM, STEP_MM = 80.0, 85.0, 2.5
NX, NY = 22, 18  # 55 mm x 45 mm
HOTSPOTS_MM = ((98.0, 107.5), (117.0, 100.0))  # centres
SIGMA_MM = 4.0
BACKGROUND_W_PER_M2 = 2.0e5  # 20 W/cm^2
PEAK_W_PER_M2 = 1.5e6  # 150 W/cm^2 above the background; 2*pi*sigma^2*peak ~ 150 W


def build_mesh() -> meshio.Mesh:
    """The hot-spot mesh: quads outside the central block, triangles inside it."""
    xs = X0_MM + STEP_MM * np.arange(NX + 1)
    ys = Y0_MM + STEP_MM * np.arange(NY + 1)
    gx, gy = np.meshgrid(xs, ys)
    points = np.column_stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)])

    def node(i, j):
        return j * (NX + 1) + i

    quads, tris = [], []
    for j in range(NY):
        for i in range(NX):
            a, b, c, d = node(i, j), node(i + 1, j), node(i + 1, j + 1), node(i, j + 1)
            inner = 4 <= i < NX - 4 and 4 <= j < NY - 4
            if inner:
                tris.extend([(a, b, c), (a, c, d)])
            else:
                quads.append((a, b, c, d))
    quads = np.array(quads)
    tris = np.array(tris)

    def density(cells):
        centroid = points[cells, :2].mean(axis=1)
        q = np.full(len(cells), BACKGROUND_W_PER_M2)
        for cx, cy in HOTSPOTS_MM:
            r2 = (centroid[:, 0] - cx) ** 2 + (centroid[:, 1] - cy) ** 2
            q += PEAK_W_PER_M2 * np.exp(-r2 / (2 * SIGMA_MM**2))
        return q

    return meshio.Mesh(
        points,
        [("quad", quads), ("triangle", tris)],
        cell_data={"q": [density(quads), density(tris)]},
    )


def main() -> None:
    mesh = build_mesh()
    mesh.write(HERE / "hotspots.vtu", binary=False)


if __name__ == "__main__":
    main()
