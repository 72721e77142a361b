"""The suite's own scheduler (tests/scheduling.py): what stays together on one worker."""

from __future__ import annotations

from tests.scheduling import estimate, scope_of


def test_a_file_stays_whole_unless_its_drills_are_split_by_parameter() -> None:
    assert scope_of("tests/unit/test_x.py::test_a[1-2]") == "tests/unit/test_x.py"
    assert scope_of("tests/unit/test_x.py::TestY::test_b") == "tests/unit/test_x.py"
    fidelity = "tests/e2e/test_fidelity.py::test_the_last_failure[db-lock]"
    assert scope_of(fidelity) == "tests/e2e/test_fidelity.py[db-lock]"
    # Every test of one parameter shares the parameter's drill: one scope.
    other = "tests/e2e/test_fidelity.py::test_the_first_failure[db-lock]"
    assert scope_of(other) == scope_of(fidelity)


def test_an_unmeasured_scope_takes_its_directorys_median() -> None:
    durations = {"tests/e2e/a.py": 10.0, "tests/e2e/b.py": 30.0, "tests/unit/c.py": 1.0}
    assert estimate(durations, "tests/e2e/test_fidelity.py[new]") == 20.0
    assert estimate(durations, "tests/e2e/a.py") == 10.0
    assert estimate(durations, "tests/other/d.py") == 1.0
