"""Compiled kernels (Cython) and their NumPy twins (``reference``, for tests only)."""

try:
    from . import _kron, _stencil  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "wafersolve's compiled kernels are not built. Install the package with "
        "'pip install -e .' (or run 'python setup.py build_ext --inplace') in the source tree. "
        f"Original error: {exc}"
    ) from exc
