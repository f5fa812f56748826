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
    r"""The data matrix of a line: the inputs, then a row of ones, so that ``phi`` is
    (slope, intercept).

    Introduced in the chapter on data.

    .. math:: X = \begin{pmatrix} x_1 & \cdots & x_I \\ 1 & \cdots & 1 \end{pmatrix}

    Parameters
    ----------
    x : array_like, shape (I,)

    Returns
    -------
    ndarray, shape (2, I)
    """
    x = v.vector(x, "x")
    return np.vstack([x, np.ones_like(x)])


def seed_data():
    """The three data points of the running example and its start.

    Introduced in the chapter on data.

    Returns
    -------
    X : ndarray, shape (2, 3)
        Inputs 0.2, 0.4, 0.8 and a row of ones.
    y : ndarray, shape (3,)
        Targets -0.1, 0.15, 0.3.
    phi0 : ndarray, shape (2,)
        A copy of ``SEED_PHI0``.
    """
    return design_matrix([0.2, 0.4, 0.8]), np.array([-0.1, 0.15, 0.3]), SEED_PHI0.copy()
