"""A smoke run of the benchmarks (tiny sizes): the code paths of ``make bench`` work and the
library reproduces the seed notebook's loops. The speed targets are measured by ``make bench``,
not asserted here (timed tests are flaky on a shared machine)."""

import pytest

from benchmarks.run import main, p1, table


@pytest.mark.slow
def test_p1_same_numbers_as_seed_loops():
    row = p1(smoke=True)
    assert row["max_abs_diff"] < 1e-10


@pytest.mark.browser  # E1 times the live explorer in headless Chromium
def test_bench_smoke_runs(capsys):
    assert main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "P1 seed workload" in out and "P2 time" in out and "P2 memory" in out


def test_table_formats_rows():
    text = table([{"case": "x", "a": 1.23456, "b": 3}])
    assert text == "x | a=1.23 | b=3"
