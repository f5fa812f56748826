"""Feature maps that turn scalar inputs ``x`` (I,) into data matrices with more rows than points.
Introduced in the chapter on the Bayesian view over time (``book/bayes_over_time.ipynb``):
D > I makes the model overparameterized. Each map returns a D x I matrix whose last row is all
ones; random weights depend only on ``seed``: one seed, the same features at training and new
inputs."""

from __future__ import annotations

import numpy as np

from . import _docs
from . import _validation as v

__all__ = ["fourier_features", "polynomial_features", "relu_features"]


def _count(value, name: str, size: int = 1) -> int:
    """A positive count whose matrix (count x size floats) is within the size limit."""
    n = v.positive_int(value, name)
    v.size_limit(n * size, name if size == 1 else f"{name} * len(x)")
    return n


@_docs.fill
def polynomial_features(x, degree):
    r"""Powers of the input up to ``degree``, then a row of ones.
    Introduced in the chapter on the Bayesian view over time; ``degree=1`` is the line of
    :func:`gflow_lib.data.design_matrix`.

    .. math:: X = \begin{pmatrix} x_1 & \cdots & x_I \\ \vdots & & \vdots \\
        x_1^p & \cdots & x_I^p \\ 1 & \cdots & 1 \end{pmatrix}

    Parameters
    ----------
    %(x)s
    degree : int
        The highest power p, >= 1.

    Returns
    -------
    ndarray, shape (degree + 1, I)
    """
    x = v.vector(x, "x", what=" of scalar inputs")
    powers = np.arange(1, _count(degree, "degree") + 1)[:, None]
    return np.vstack([x[None, :] ** powers, np.ones_like(x)[None, :]])


@_docs.fill
def fourier_features(x, n_features, lengthscale=0.2, seed=0):
    r"""Random Fourier features of a Gaussian kernel (Rahimi and Recht 2007), then ones.
    Introduced in the chapter on the Bayesian view over time. As :math:`n \to \infty`,
    :math:`X^T X \to \exp(-(x - x')^2 / (2\ell^2)) + 1` (:func:`gflow_lib.kernels.rbf_kernel`).

    .. math:: X_{j i} = \sqrt{2/n}\,\cos(w_j x_i + b_j), \quad
        w_j \sim N(0, \ell^{-2}), \; b_j \sim U(0, 2\pi)

    Parameters
    ----------
    %(x)s
    n_features : int
        Number n of random features, >= 1.
    lengthscale : float
        The kernel's length scale :math:`\ell`, > 0.
    %(seed)s

    Returns
    -------
    ndarray, shape (n_features + 1, I)
    """
    x = v.vector(x, "x", what=" of scalar inputs")
    n = _count(n_features, "n_features", x.size)
    ell = v.positive_scalar(lengthscale, "lengthscale")
    rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
    w = rng.normal(0.0, 1.0 / ell, size=n)
    b = rng.uniform(0.0, 2.0 * np.pi, size=n)
    F = np.sqrt(2.0 / n) * np.cos(np.multiply.outer(w, x) + b[:, None])
    return np.vstack([F, np.ones_like(x)[None, :]])


@_docs.fill
def relu_features(x, n_features, seed=0):
    r"""Random ReLU features: the hidden layer of a wide one-layer network, then ones.
    Introduced in the chapter on the Bayesian view over time. As :math:`n \to \infty`,
    :math:`X^T X` tends to the arc-cosine kernel plus 1 (:func:`gflow_lib.kernels.relu_kernel`).

    .. math:: X_{j i} = \sqrt{2/n}\,\max(0, w_j x_i + b_j), \quad w_j, b_j \sim N(0, 1)

    Parameters
    ----------
    %(x)s
    n_features : int
        Number n of hidden units, >= 1.
    %(seed)s

    Returns
    -------
    ndarray, shape (n_features + 1, I)
    """
    x = v.vector(x, "x", what=" of scalar inputs")
    n = _count(n_features, "n_features", x.size)
    rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
    w = rng.normal(size=n)
    b = rng.normal(size=n)
    F = np.sqrt(2.0 / n) * np.maximum(0.0, np.multiply.outer(w, x) + b[:, None])
    return np.vstack([F, np.ones_like(x)[None, :]])
