"""Build the Cython kernels. Metadata lives in pyproject.toml.

Compiler flags: ``WAFERSOLVE_CFLAGS`` if set (e.g. "-O3" for a portable wheel), otherwise
"-O3 -march=native" when the compiler accepts it (a source install runs where it is built),
else "-O3". MSVC gets "/O2".
"""

import os
import tempfile

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    def build_extensions(self):
        flags = os.environ.get("WAFERSOLVE_CFLAGS")
        if flags is None:
            if self.compiler.compiler_type == "msvc":
                flags = "/O2"
            else:
                flags = "-O3 -march=native" if self._accepts("-march=native") else "-O3"
        for ext in self.extensions:
            ext.extra_compile_args = flags.split()
        super().build_extensions()

    def _accepts(self, flag):
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "probe.c")
            with open(src, "w") as fh:
                fh.write("int main(void) { return 0; }\n")
            try:
                self.compiler.compile([src], output_dir=tmp, extra_postargs=[flag])
            except Exception:
                return False
        return True


extensions = [
    Extension(
        "wafersolve._kernels._stencil",
        ["wafersolve/_kernels/_stencil.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "wafersolve._kernels._kron",
        ["wafersolve/_kernels/_kron.pyx"],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
)
