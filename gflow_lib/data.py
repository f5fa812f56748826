r"""The book's running example: three points and a straight line.

Introduced in the chapter on data (``book/data.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import _validation as v

__all__ = ["seed_data", "design_matrix", "SEED_PHI0"]

#: The notebook's starting parameters (slope, intercept).
SEED_PHI0 = np.array([-0.05, -0.4])


def design_matrix(x) -> np.ndarray:
    r"""Stack inputs into the data matrix of a line: slope row first, then a row of ones.

    .. math::

        X = \begin{pmatrix} x_1 & \cdots & x_I \\ 1 & \cdots & 1 \end{pmatrix}

    Parameters
    ----------
    x : array_like, shape (I,)

    Returns
    -------
    ndarray, shape (2, I)
        So that ``phi[0]`` is the slope and ``phi[1]`` the intercept.
    """
    x = v.vector(x, "x")
    return np.vstack([x, np.ones_like(x)])


def seed_data():
    """The three data points of the seed notebook and its starting parameters.

    Returns
    -------
    X : ndarray, shape (2, 3)
        Inputs 0.2, 0.4, 0.8 and a row of ones.
    y : ndarray, shape (3,)
        Targets -0.1, 0.15, 0.3.
    phi0 : ndarray, shape (2,)
        Start (slope, intercept) = (-0.05, -0.4).
    """
    X = design_matrix([0.2, 0.4, 0.8])
    y = np.array([-0.1, 0.15, 0.3])
    return X, y, SEED_PHI0.copy()
