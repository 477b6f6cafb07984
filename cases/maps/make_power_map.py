"""Regenerate ``wse3_power_map.npy``: ``python cases/maps/make_power_map.py``.

A synthetic power-density raster (W/cm^2, float32) over the 215 mm x 215 mm WSE-3 outline,
120 x 120 pixels (~1.79 mm), row 0 at y = 0. It is NOT measured data: it only gives the solver a
plausible non-uniform pattern to work on. Each of the 12 x 7 reticle tiles has a compute array at
a base density and a hotter band (20 % of the tile height, 2x the base density) along its top
edge; on top of that a wafer-scale +-10 % dome makes the centre busier than the edges. The whole
map is scaled to 25 kW. Used by ``cases/power_map.toml``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

SIZE_M = 0.215
PIXELS = 120
TILES = (12, 7)
TOTAL_W = 25_000.0


def build_map() -> np.ndarray:
    """The density raster in W/cm^2, shape (PIXELS, PIXELS), row 0 at y = 0."""
    c = (np.arange(PIXELS) + 0.5) / PIXELS  # pixel centres, fraction of the wafer size
    fx, fy = np.meshgrid(c, c)  # fx varies along columns (x), fy along rows (y)
    in_tile_y = (fy * TILES[1]) % 1.0
    pattern = np.where(in_tile_y > 0.8, 2.0, 1.0)
    r2 = (fx - 0.5) ** 2 + (fy - 0.5) ** 2
    dome = 1.1 - 0.4 * r2  # 1.1 at the centre, 0.9 at the corners
    q = pattern * dome
    pixel_area_cm2 = (SIZE_M * 100 / PIXELS) ** 2
    return (q * TOTAL_W / (q.sum() * pixel_area_cm2)).astype(np.float32)


def main() -> None:
    np.save(HERE / "wse3_power_map.npy", build_map())


if __name__ == "__main__":
    main()
