r"""The book's running example: three points and a straight line.
Introduced in the chapter on data (``book/data.ipynb``)."""

from __future__ import annotations

import numpy as np

from . import _docs
from . import _validation as v

__all__ = ["EXAMPLE_PHI0", "design_matrix", "running_example"]

#: The running example's starting parameters (slope, intercept): a slightly falling line
#: well below the data, the start of the blog post's companion notebook.
EXAMPLE_PHI0 = np.array([-0.05, -0.4])


@_docs.fill
def design_matrix(x) -> np.ndarray:
    r"""The data matrix of a line: the inputs, then a row of ones, so ``phi`` is (slope, intercept).
    Introduced in the chapter on data.

    .. math:: X = \begin{pmatrix} x_1 & \cdots & x_I \\ 1 & \cdots & 1 \end{pmatrix}

    Parameters
    ----------
    %(x)s

    Returns
    -------
    ndarray, shape (2, I)
    """
    x = v.vector(x, "x")
    return np.vstack([x, np.ones_like(x)])


def running_example():
    """The book's running example: three data points and the start of the flow.
    Introduced in the chapter on data. Fresh arrays on every call.

    Returns
    -------
    X : ndarray, shape (2, 3)
        Inputs 0.2, 0.4, 0.8 and a row of ones.
    y : ndarray, shape (3,)
        Targets -0.1, 0.15, 0.3.
    phi0 : ndarray, shape (2,)
        A copy of ``EXAMPLE_PHI0``, (slope, intercept) = (-0.05, -0.4).
    """
    return design_matrix([0.2, 0.4, 0.8]), np.array([-0.1, 0.15, 0.3]), EXAMPLE_PHI0.copy()
