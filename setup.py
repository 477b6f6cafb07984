"""Build the Cython kernels. Metadata lives in pyproject.toml."""

import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

# WAFERSOLVE_CFLAGS lets a local build add e.g. "-O3 -march=native"; wheels keep the portable default.
cflags = os.environ.get("WAFERSOLVE_CFLAGS", "-O3").split()

extensions = [
    Extension(
        "wafersolve._kernels._stencil",
        ["wafersolve/_kernels/_stencil.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=cflags,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
