"""Shared fixtures for the wafersolve test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"

# Off-screen rendering without a display: VTK picks EGL when this is set.
os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


@pytest.fixture
def cases_dir() -> Path:
    return CASES
