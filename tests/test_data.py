"""The running example: its values, fresh copies on every call, and the deprecated alias."""

from __future__ import annotations

import numpy as np

from gflow_lib import data


def test_running_example_is_the_books_three_points_and_start():
    X, y, phi0 = data.running_example()
    np.testing.assert_array_equal(X, [[0.2, 0.4, 0.8], [1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(y, [-0.1, 0.15, 0.3])
    np.testing.assert_array_equal(phi0, [-0.05, -0.4])
    np.testing.assert_array_equal(phi0, data.EXAMPLE_PHI0)


def test_running_example_returns_fresh_arrays():
    X, y, phi0 = data.running_example()
    X[0, 0] = y[0] = phi0[0] = 99.0
    X2, y2, phi2 = data.running_example()
    assert X2[0, 0] == 0.2 and y2[0] == -0.1 and phi2[0] == -0.05
    assert data.EXAMPLE_PHI0[0] == -0.05


def test_the_deprecated_aliases_are_gone():
    """The library was never released under seed_data / SEED_PHI0: one name per concept."""
    assert not hasattr(data, "seed_data") and not hasattr(data, "SEED_PHI0")
