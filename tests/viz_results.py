"""Result folders for the viz and report tests, made by the real command line.

Not collected by pytest (no ``test_`` prefix). ``small`` is ``wafersolve run cases/small.toml``
(thermal and mechanics, two hot spots); ``small_io`` is the same case with the ``[io]``
section of ``cases/wse3.toml`` on a 1 mm core mesh, run and then checked (``--no-runs``), so it
also has ``io_layout.vtr`` and the ``io_*`` keys.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from wafersolve.cli import main

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"


def run_small(folder: Path) -> Path:
    """``wafersolve run cases/small.toml -o folder``; the folder."""
    assert main(["run", str(CASES / "small.toml"), "-o", str(folder), "--quiet"]) == 0
    return folder


def small_io_case(folder: Path) -> Path:
    """cases/small.toml plus the [io] section of cases/wse3.toml (1 mm core mesh), written into
    ``folder``; the case file."""
    folder.mkdir(parents=True, exist_ok=True)
    small = (CASES / "small.toml").read_text(encoding="utf-8")
    wse3 = (CASES / "wse3.toml").read_text(encoding="utf-8")
    io = wse3[wse3.index("\n[io]\n"):]
    io = re.sub(r"mesh_pitch_mm = [0-9.]+", "mesh_pitch_mm = 1.0", io)
    text = small.replace('name = "small"', 'name = "small_io"') + "\n" + io
    path = folder / "small_io.toml"
    path.write_text(text, encoding="utf-8")
    return path


def run_small_io(folder: Path) -> Path:
    """Run and check the small case with I/O into ``folder``; the folder."""
    case = small_io_case(folder.parent / f"{folder.name}_case")
    assert main(["run", str(case), "-o", str(folder), "--quiet"]) == 0
    assert main(["check", str(case), "-o", str(folder), "--no-runs", "--quiet"]) == 0
    return folder


def rgb(path_or_bytes) -> np.ndarray:
    """A PNG (path or bytes) as an (height, width, 3) uint8 array."""
    import io

    from PIL import Image

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with Image.open(src) as im:
        return np.asarray(im.convert("RGB"))


def distinct_colours(image: np.ndarray) -> int:
    """How many different RGB colours an image has."""
    flat = image.reshape(-1, 3).astype(np.uint32)
    return int(np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2]).size)


def luminance(pixel) -> float:
    """Rec. 709 luma of an RGB pixel (0-255)."""
    r, g, b = (float(c) for c in pixel[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
