"""pytest plugin: design-regression assertions in a team's own test suite.

Installed with wafersolve (entry point ``pytest11``), so any test can use the ``assert_design``
fixture, or import the function directly::

    from wafersolve.pytest_plugin import assert_design

    def test_wse3_design():
        assert_design("cases/wse3.toml", baseline="baselines/wse3.json")

The case is solved as ``wafersolve run`` solves it (into a temporary folder) and compared with
the baseline; a regression fails the test with a table naming every metric that got worse or
changed, by how much, and the command that accepts the new values. A missing or unreadable
baseline is an error naming the file. ``pytest --wafersolve-update-baselines`` makes the
fixture write the baselines instead (review the diff before committing them).

Example
-------
>>> assert_design("cases/small.toml", baseline="baselines/small.json").regressed  # doctest: +SKIP
False
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

UPDATE_OPTION = "--wafersolve-update-baselines"


def pytest_addoption(parser) -> None:
    """Add ``--wafersolve-update-baselines`` to pytest's command line.

    Example
    -------
    >>> pytest_addoption(parser)     # pytest calls it at start-up     # doctest: +SKIP
    """
    group = parser.getgroup("wafersolve", "wafersolve design regression")
    group.addoption(UPDATE_OPTION, action="store_true", default=False,
                    help="assert_design writes the baselines instead of comparing (review the "
                    "diff before committing them)")


def assert_design(case, baseline, *, outdir=None, strict: bool = False, update: bool = False,
                  fields=False, mechanics: bool = True):
    """Solve ``case`` (a case file or a Case) and assert it has not regressed against
    ``baseline`` (a baseline JSON file); return the :class:`~wafersolve.regress.Comparison`.

    Raises AssertionError listing the metrics that regressed, and
    :class:`~wafersolve.errors.ExportError` naming the file if the baseline is missing or
    unreadable (checked before the solve). ``outdir`` keeps the result files (default: a
    temporary folder); ``strict`` fails on improvements too; ``update`` writes the baseline
    instead (with golden maps if ``fields``) and returns the diff against the old one, or None.

    Example
    -------
    >>> assert_design("cases/wse3.toml", baseline="baselines/wse3.json")   # doctest: +SKIP
    """
    __tracebackhide__ = True
    from .regress import compare_result, read_baseline, run_design, update_baseline

    baseline = Path(baseline)
    base = None if update else read_baseline(baseline)
    case_file = None if not isinstance(case, (str, Path)) else Path(case).as_posix()
    with tempfile.TemporaryDirectory(prefix="wafersolve-design-") as tmp:
        folder = Path(outdir) if outdir is not None else Path(tmp)
        run_design(case, folder, mechanics=mechanics)
        if update:
            return update_baseline(folder, baseline, case_file=case_file, fields=fields).comparison
        comparison = compare_result(folder, base, strict=strict)
    if comparison.regressed:
        rerun = f"rerun pytest with {UPDATE_OPTION}"
        hint = (f"wafersolve regress {case_file} --baseline {baseline.parent.as_posix()} "
                f"--update (or {rerun})" if case_file else rerun)
        raise AssertionError(comparison.failure_message(hint))
    return comparison


@pytest.fixture(name="assert_design")
def assert_design_fixture(request, tmp_path):
    """The fixture: :func:`assert_design` with result files kept under the test's ``tmp_path``
    and ``update`` following ``--wafersolve-update-baselines``.

    Example
    -------
    >>> def test_small(assert_design):                                    # doctest: +SKIP
    ...     assert_design("cases/small.toml", baseline="baselines/small.json")
    """
    update = bool(request.config.getoption(UPDATE_OPTION, default=False))
    count = iter(range(1_000_000))

    def check(case, baseline, **options):
        __tracebackhide__ = True
        options.setdefault("outdir", tmp_path / f"design_{next(count)}")
        options.setdefault("update", update)
        return assert_design(case, baseline, **options)

    return check
