"""Parameter text shared by many docstrings, written once (as SciPy's ``doccer`` does).

A docstring decorated with :func:`fill` names an entry as ``%(X)s``; at import time the
placeholder becomes the entry of :data:`PARAMS`, its continuation lines indented like the
placeholder's line, so ``help()`` and Sphinx show the full text; an unknown name is a KeyError."""

from __future__ import annotations

import re

__all__ = ["PARAMS", "fill", "format_doc"]

#: Shared numpydoc entries, by placeholder name.
PARAMS = {
    # ------------------------------------------------------------- data and starts
    "X": """X : array_like, shape (D, I)
    Data matrix, one column per data point.""",
    "X_line": """X : array_like, shape (2, I)
    Inputs in the first row, ones in the second (the book's line).""",
    "X_or_spectrum": """X : array_like, shape (D, I), or Spectrum
    Data matrix (one column per data point), or its built :class:`~gflow_lib.Spectrum`
    (then ``y`` is None): the data are decomposed once.""",
    "y": """y : array_like, shape (I,)
    Targets, one per data point.""",
    "y_or_none": """y : array_like, shape (I,), or None
    Targets; None when ``X`` is a built :class:`~gflow_lib.Spectrum`.""",
    "phi0": """phi0 : array_like, shape (D,), or None
    The start (None: zeros).""",
    "f0": """f0 : array_like, shape (I,), optional
    Outputs at the training inputs at the start (default zeros).""",
    "X_y_phi0": """X : array_like, shape (D, I)
    Data matrix, one column per data point.
y : array_like, shape (I,)
    Targets, one per data point.
phi0 : array_like, shape (D,)
    Start of the flow or descent.""",
    "K": """K : array_like, shape (I, I)
    Symmetric positive semidefinite kernel matrix of the training inputs.""",
    "K_new": """K_new : array_like, shape (M, I)
    Kernel between the new inputs (rows) and the training inputs.""",
    "X_new": """X_new : array_like, shape (D, M)
    New inputs, one column each.""",
    "x": """x : array_like, shape (I,)
    Scalar inputs.""",
    "x_grid": """x : array_like, shape (M,)
    Scalar inputs at which the curves are drawn, increasing.""",
    "x1_x2": """x1 : array_like, shape (M1,)
    Scalar inputs.
x2 : array_like, shape (M2,), optional
    Scalar inputs (default ``x1``).""",
    "c": """c : array_like
    Cosines :math:`\\rho`, in [-1, 1] (up to :data:`COS_TOLERANCE`, then clipped).""",
    "params_shallow": """params : ShallowParams
    One network, or a batch of N (leading axis N on every array).""",
    "Theta_residual0": """Theta, residual0 : array_like, shapes (I, I) and (I,)
    The NTK at the training inputs and the residuals :math:`r_0 = f_0 - y` at the start.""",
    "params_x": """params : ShallowParams
    One network, or a batch of N (leading axis N on every array).
x : array_like, shape (M,)
    Scalar inputs.""",
    "seed": """seed : int
    Seed of ``numpy.random.default_rng``, >= 0.""",
    # ------------------------------------------------------------- indices of filters
    "t": """t : float or array_like, shape (T,)
    Times, >= 0 (a scalar drops the leading T axis of the result).""",
    "t_curve": """t : array_like, shape (T,)
    Times along the horizontal axis.""",
    "eigenvalues": """eigenvalues : array_like, shape (n,), or Spectrum or KernelSpectrum
    Eigenvalues, one positive at least (zeros are left out), or a built spectrum.""",
    "lam": """lam : array_like, shape (K,)
    Eigenvalues, >= 0.""",
    "lr": """lr : float
    Step size (learning rate) of gradient descent, > 0.""",
    "n_steps": """n_steps : int
    Number of steps, >= 0.""",
    "k": """k : int or array_like of int, shape (K,)
    Step counts, >= 0.""",
    "penalty": """penalty : float or array_like, shape (L,)
    Ridge penalties, >= 0.""",
    "batch_replace": """batch_size, replace : int, bool
    B >= 1 draws per step, with replacement or distinct (B <= I).""",
    "s": """s : float or array_like, shape (K,)
    Singular values, >= 0.""",
    "alpha": """alpha : float
    Scale of the start, > 0.""",
    "u0": """u0 : float
    Strength of every mode at the start, > 0.""",
    # ------------------------------------------------------------- Bayes
    "sigma_sq": """sigma_sq : float
    Noise variance :math:`\\sigma^2`, > 0.""",
    "sigma_sq_p": """sigma_sq_p : float
    Prior variance :math:`\\sigma_p^2` of each parameter, > 0.""",
    "sigma_sq_both": """sigma_sq, sigma_sq_p : float
    Noise variance :math:`\\sigma^2` and prior variance :math:`\\sigma_p^2` of each
    parameter, > 0.""",
    "prior_mean": """prior_mean : array_like, shape (D,), optional
    Mean of the Gaussian prior (default zeros).""",
    "prior_cov": """prior_cov : array_like, shape (D, D)
    Covariance of the Gaussian prior, symmetric positive definite.""",
    # ------------------------------------------------------------- drawing
    "flow": """flow : LinearFlow
    The flow to draw (its public methods are called; nothing is recomputed).""",
    "ax": """ax : matplotlib Axes, optional
    Where to draw (default: a new figure).""",
    "axes_pair": """axes : sequence of two matplotlib Axes, optional
    Where to draw (default: a new figure with two panels).""",
    "surface": """surface : (slopes, intercepts, loss)
    A loss surface (S,), (N,), (S, N), as in :func:`~gflow_lib.plotting.plot_landscape`.""",
    "data_xy": """data : (array_like, array_like), optional
    Training inputs and targets, drawn as points.""",
    "returns_ax": """Returns
-------
matplotlib Axes
    What was drawn on.""",
    "returns_fig": """Returns
-------
matplotlib Figure
    The figure drawn.""",
    # ------------------------------------------------------------- checks
    "check_result": """CheckResult
    A ``str`` starting with "Correct:", "Not yet:" or "Error:"; it names the mistakes it
    knows (``mistake`` is the name), in the order tried:""",
}

#: Entries that go together, made of the ones above.
PARAMS.update({name: "\n".join(PARAMS[part] for part in parts) for name, parts in {
    "X_y": ("X", "y"),
    "flow_t_ax": ("flow", "t_curve", "ax"),
    "s_u0": ("s", "u0"),
}.items()})

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def format_doc(doc: str | None, table: dict[str, str] = PARAMS) -> str | None:
    """``doc`` with every ``%(name)s`` replaced by ``table[name]``, indented like its line."""
    if doc is None:  # python -OO
        return None
    out = []
    for line in doc.split("\n"):
        indent = line[: len(line) - len(line.lstrip())]

        def sub(m, indent=indent):
            try:
                text = table[m.group(1)]
            except KeyError:
                raise KeyError(f"docstring placeholder %({m.group(1)})s is not in "
                               "gflow_lib._docs.PARAMS") from None
            return text.replace("\n", "\n" + indent)

        out.append(_PLACEHOLDER.sub(sub, line))
    return "\n".join(out)


def fill(obj):
    """Decorator: fill the placeholders of a function's, class's or property's docstring."""
    if isinstance(obj, property):
        return property(obj.fget, obj.fset, obj.fdel, format_doc(obj.__doc__))
    obj.__doc__ = format_doc(obj.__doc__)
    return obj
