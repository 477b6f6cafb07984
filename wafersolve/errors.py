"""The exception hierarchy of wafersolve.

Every error a user can cause or meet derives from :class:`WafersolveError`, so the command line
can turn it into a one-paragraph message and an exit code instead of a traceback.

Example
-------
>>> from wafersolve.errors import CaseError
>>> err = CaseError("cases/wse3.toml", "stack.layers[2].thickness_um", -5, "a number > 0")
>>> str(err)
'cases/wse3.toml: stack.layers[2].thickness_um = -5: expected a number > 0'
"""

from __future__ import annotations


class WafersolveError(Exception):
    """Base class of every error wafersolve raises on purpose."""


class CaseError(WafersolveError):
    """A case file (or a file it refers to) is invalid.

    The message names the file, the field path, the offending value and what was expected.
    """

    def __init__(self, path, field: str | None, value=None, expected: str = "", *, detail: str = ""):
        self.path = str(path) if path is not None else "<case>"
        self.field = field
        self.value = value
        self.expected = expected
        self.detail = detail
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path
        if self.field:
            shown = _show(self.value)
            where += f": {self.field}" + (f" = {shown}" if shown is not None else "")
        parts = [where]
        if self.expected:
            parts.append(f"expected {self.expected}")
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)


class SolverError(WafersolveError):
    """A solve could not produce a trustworthy field (bad set-up, failed energy balance ...)."""


class ConvergenceError(SolverError):
    """An iteration did not reach its tolerance; carries the residual history."""

    def __init__(self, message: str, history=()):
        self.history = tuple(float(h) for h in history)
        tail = ""
        if self.history:
            shown = ", ".join(f"{h:.3e}" for h in _abridge(self.history))
            tail = f" (relative residual history: {shown})"
        super().__init__(message + tail)


class ExportError(WafersolveError):
    """A result could not be written or read back."""


def _show(value):
    if value is None:
        return None
    if isinstance(value, str):
        return repr(value)
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _abridge(seq, head: int = 4, tail: int = 4):
    if len(seq) <= head + tail:
        return list(seq)
    return list(seq[:head]) + list(seq[-tail:])
