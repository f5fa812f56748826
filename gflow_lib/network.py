r"""Finite-width ReLU networks with hand-written gradients: the objects the neural tangent
kernel describes. Introduced in the chapter on wide networks (``book/ntk.ipynb``): the shallow
network in the NTK parameterization (:func:`shallow_forward`), its parameters flattened as
:math:`\phi = (W_{:,0}, W_{:,1}, v, \beta)` of length P = 3D + 1 (a leading batch axis of N
networks allowed), and a deep network in the conventions of neural-tangents' ``stax``."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from . import _docs
from . import _validation as v
from .flow import LinearFlow
from .spectrum import kernel_eigen

__all__ = [
    "DeepParams",
    "DivergenceWarning",
    "KernelChange",
    "LinearizedNetwork",
    "ShallowParams",
    "Training",
    "active_units",
    "deep_empirical_ntk",
    "deep_forward",
    "empirical_ntk",
    "init_deep",
    "init_shallow",
    "kernel_change_parts",
    "last_layer_features",
    "last_layer_flow",
    "linearized_flow",
    "shallow_forward",
    "shallow_jacobian",
    "train_shallow",
]


# -------------------------------------------------------------------------- parameters
class ShallowParams(NamedTuple):
    """Parameters of the shallow network (read-only when the library makes them).
    Introduced in the chapter on wide networks.

    Parameters
    ----------
    W, v, beta : ndarray, shapes (D, 2), (D,) and ()
        A batch of N networks adds a leading axis N to each.

    Attributes
    ----------
    W, v, beta : ndarray
    """

    W: np.ndarray
    v: np.ndarray
    beta: np.ndarray

    @property
    def width(self) -> int:
        """The number D of hidden units."""
        return self.v.shape[-1]

    @property
    def batch_shape(self) -> tuple:
        """``()`` for one network, ``(N,)`` for a batch."""
        return self.v.shape[:-1]

    def flat(self) -> np.ndarray:
        r"""The parameter vector :math:`\phi = (W_{:,0}, W_{:,1}, v, \beta)`, shape (..., P)."""
        return np.concatenate([self.W[..., 0], self.W[..., 1], self.v,
                               np.asarray(self.beta)[..., None]], axis=-1)

    @classmethod
    def from_flat(cls, phi) -> ShallowParams:
        """The parameters from a vector :math:`\\phi` of shape (..., P), P = 3D + 1."""
        phi = v.as_real_array(phi, "phi")
        P = phi.shape[-1] if phi.ndim else 0
        if phi.ndim < 1 or P < 4 or (P - 1) % 3:
            raise ValueError(f"phi must have a last axis of length P = 3D + 1 (D >= 1); got "
                             f"shape {phi.shape}")
        v.check_finite(phi, "phi")
        D = (P - 1) // 3
        W = np.stack([phi[..., :D], phi[..., D:2 * D]], axis=-1)
        return cls(v.frozen(W), v.frozen(phi[..., 2 * D:3 * D]), v.frozen(phi[..., -1]))


def _params(params) -> ShallowParams:
    """Validated, read-only parameters."""
    arrays = v.shallow_params(params)
    if isinstance(params, ShallowParams) and all(
            isinstance(a, np.ndarray) and not a.flags.writeable for a in params):
        return params
    return ShallowParams(*(v.frozen(a) for a in arrays))


@_docs.fill
def init_shallow(width, seed=0, bias_var=0.0, n_networks=None) -> ShallowParams:
    r"""Random parameters of the shallow network in the NTK parameterization.
    Introduced in the chapter on wide networks.

    .. math:: W_{jk} \sim N(0, 1),\quad v_j \sim N(0, 1),\quad \beta \sim N(0, \sigma_\beta^2)

    Parameters
    ----------
    width : int
        The number D of hidden units, >= 1.
    %(seed)s
    bias_var : float
        Variance :math:`\sigma_\beta^2` of the output bias, >= 0 (it is trained either way).
    n_networks : int, optional
        Draw a batch of N independent networks (leading axis N).

    Returns
    -------
    ShallowParams
    """
    D = v.size_limit(v.positive_int(width, "width"), "width", v.MAX_ELEMENTS // 3)
    rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
    sb = np.sqrt(v.non_negative_scalar(bias_var, "bias_var"))
    lead = () if n_networks is None else (v.positive_int(n_networks, "n_networks"),)
    v.size_limit(D * max(lead, default=1), "width * n_networks", v.MAX_ELEMENTS // 3)
    W = rng.standard_normal(lead + (D, 2))
    vv = rng.standard_normal(lead + (D,))
    beta = sb * rng.standard_normal(lead)
    return ShallowParams(v.frozen(W), v.frozen(vv), v.frozen(beta))


# ------------------------------------------------------------------------ the network
def _hidden(params, x):
    r"""Pre-activations :math:`w_j\cdot u` for each input, shape (..., D, M)."""
    W = params.W
    return W[..., :, 0:1] * x + W[..., :, 1:2]


@_docs.fill
def shallow_forward(params, x) -> np.ndarray:
    r"""Outputs of the shallow network at scalar inputs. Introduced in the chapter on wide networks.

    .. math:: f(x) = \beta + \frac{1}{\sqrt D}\sum_j v_j\,\mathrm{ReLU}(w_{j0}x + w_{j1})

    Parameters
    ----------
    %(params_x)s

    Returns
    -------
    ndarray, shape (M,), or (N, M) for a batch
    """
    params, x = _params(params), v.scalar_inputs(x)
    act = np.maximum(_hidden(params, x), 0.0)
    out = np.einsum("...d,...dm->...m", params.v, act) / np.sqrt(params.width)
    return out + np.asarray(params.beta)[..., None]


@_docs.fill
def shallow_jacobian(params, x) -> np.ndarray:
    r"""The gradient of each output with respect to the parameters, by hand. Introduced in the
    chapter on wide networks. With :math:`a_j = w_j\cdot u` and :math:`s_j = [a_j > 0]`:

    .. math:: \frac{\partial f}{\partial w_{j0}} = \frac{v_j s_j x}{\sqrt D},\quad
        \frac{\partial f}{\partial w_{j1}} = \frac{v_j s_j}{\sqrt D},\quad
        \frac{\partial f}{\partial v_j} = \frac{\mathrm{ReLU}(a_j)}{\sqrt D},\quad
        \frac{\partial f}{\partial \beta} = 1.

    Parameters
    ----------
    %(params_x)s

    Returns
    -------
    ndarray, shape (P, M), P = 3D + 1 (rows as ``params.flat()``), or (N, P, M)
    """
    params, x = _params(params), v.scalar_inputs(x)
    a = _hidden(params, x)
    sD = np.sqrt(params.width)
    vs = params.v[..., None] * (a > 0) / sD
    ones = np.ones(a.shape[:-2] + (1, x.size))
    return np.concatenate([vs * x, vs, np.maximum(a, 0.0) / sD, ones], axis=-2)


@_docs.fill
def empirical_ntk(params, x1, x2=None) -> np.ndarray:
    r"""The empirical neural tangent kernel :math:`\Theta = J(x_1)^T J(x_2)`, without the
    Jacobian. Introduced in the chapter on wide networks.

    .. math:: \Theta(x, x') = \frac{1}{D}\sum_j \Big[(u\cdot u')\, v_j^2 s_j(x) s_j(x')
        + \mathrm{ReLU}(w_j\cdot u)\,\mathrm{ReLU}(w_j\cdot u')\Big] + 1

    Parameters
    ----------
    %(params_shallow)s
    %(x1_x2)s

    Returns
    -------
    ndarray, shape (M1, M2), or (N, M1, M2) for a batch
    """
    params = _params(params)
    x1 = v.scalar_inputs(x1, "x1")
    x2 = x1 if x2 is None else v.scalar_inputs(x2, "x2")
    W0 = np.ascontiguousarray(params.W[..., 0])[..., None, :]  # (..., 1, D)
    W1 = np.ascontiguousarray(params.W[..., 1])[..., None, :]
    av = np.abs(params.v)[..., None, :]
    sides = []
    for x in (x1,) if x2 is x1 else (x1, x2):
        a = x[:, None] * W0 + W1  # pre-activations, (..., M, D): rows for BLAS
        s = np.where(a > 0, av, 0.0)  # |v_j| s_j, so that s s'^T carries v_j^2
        np.maximum(a, 0.0, out=a)
        sides.append((s, a))
    (s1, r1), (s2, r2) = sides[0], sides[-1]
    dot = np.multiply.outer(x1, x2) + 1.0
    grad_w = s1 @ np.swapaxes(s2, -1, -2)
    grad_v = r1 @ np.swapaxes(r2, -1, -2)
    return (dot * grad_w + grad_v) / params.width + 1.0


@_docs.fill
def active_units(params, x) -> int | np.ndarray:
    r"""The number of hidden units with :math:`w_j\cdot u > 0` at one input of ``x`` or more.
    Introduced in the chapter on training wide networks in closed form.

    Parameters
    ----------
    %(params_x)s

    Returns
    -------
    int, or ndarray of int, shape (N,), for a batch
    """
    params, x = _params(params), v.scalar_inputs(x)
    count = np.sum(np.any(_hidden(params, x) > 0, axis=-1), axis=-1)
    return int(count) if np.ndim(count) == 0 else count


class KernelChange(NamedTuple):
    """Two parts of a change of the empirical NTK that add up to it, each (M1, M2)."""

    smooth: np.ndarray
    switching: np.ndarray


def _ntk_with_pattern(params, pattern, x1, x2):
    """:func:`empirical_ntk` of ``params`` with the steps ``s_j`` taken from ``pattern``."""
    sides = []
    for x in (x1, x2):
        s = np.where(_hidden(pattern, x) > 0, np.abs(params.v)[..., None], 0.0)  # (..., D, M)
        sides.append((s, np.maximum(_hidden(params, x), 0.0)))
    (s1, a1), (s2, a2) = sides
    grads = np.swapaxes(s1, -1, -2) @ s2 * (np.multiply.outer(x1, x2) + 1.0)
    return (grads + np.swapaxes(a1, -1, -2) @ a2) / params.width + 1.0


@_docs.fill
def kernel_change_parts(params0, params1, x1, x2=None) -> KernelChange:
    r"""The change :math:`\Theta_1 - \Theta_0` of the empirical NTK between two sets of weights,
    split into the part of the units that switched on or off and the rest.
    Introduced in the chapter on wide networks. With :math:`\Theta(\phi; s)` the kernel of
    weights :math:`\phi` with the ReLU steps :math:`s_j` of other weights:

    .. math:: \text{smooth} = \Theta(\phi_1; s^{(0)}) - \Theta(\phi_0; s^{(0)}), \quad
        \text{switching} = \Theta(\phi_1; s^{(1)}) - \Theta(\phi_1; s^{(0)}).

    Parameters
    ----------
    params0, params1 : ShallowParams
        Of equal shapes (one network, or a batch).
    %(x1_x2)s

    Returns
    -------
    KernelChange
        ``smooth`` and ``switching``, each (M1, M2), or (N, M1, M2) for a batch.
    """
    p0, p1 = _params(params0), _params(params1)
    if p0.W.shape != p1.W.shape:
        raise ValueError("params0 and params1 must have the same shapes; got W of shapes "
                         f"{p0.W.shape} and {p1.W.shape}")
    x1 = v.scalar_inputs(x1, "x1")
    x2 = x1 if x2 is None else v.scalar_inputs(x2, "x2")
    mixed = _ntk_with_pattern(p1, p0, x1, x2)
    return KernelChange(mixed - _ntk_with_pattern(p0, p0, x1, x2),
                        _ntk_with_pattern(p1, p1, x1, x2) - mixed)


# ----------------------------------------------------------------------- linearization
class LinearizedNetwork:
    r"""The network linearized at its start: a linear model over the Jacobian features.
    Introduced in the chapter on wide networks. Its gradient flow is :attr:`flow`, a
    :class:`~gflow_lib.LinearFlow` with ``X = J`` (P, I), targets ``y - c`` and start
    :math:`\phi_0`; outputs add the offset :math:`c` back.

    .. math:: f_{\mathrm{lin}}(x; \phi) = f_0(x) + J(x)^T(\phi - \phi_0)
        = J(x)^T\phi + c(x), \qquad c = f_0 - J^T\phi_0 .

    Attributes
    ----------
    flow, params0, y, offset, eigenvalues
        The flow, the start, the targets (I,), :math:`c` at the training inputs (I,), and the
        eigenvalues (I,) of the empirical NTK :math:`J^TJ`, ascending.
    """

    def __init__(self, params, x, y):
        self.params0 = _params(params)
        if self.params0.batch_shape:
            raise ValueError("params must be one network, not a batch; got batch shape "
                             f"{self.params0.batch_shape}")
        self.x = v.frozen(v.scalar_inputs(x))
        self.y = v.frozen(v.vector(y, "y", self.x.size, what=" (one target per input)"))
        J = shallow_jacobian(self.params0, self.x)
        phi0 = self.params0.flat()
        self.offset = v.frozen(shallow_forward(self.params0, self.x) - phi0 @ J)
        self.flow = LinearFlow(J, self.y - self.offset, phi0)

    eigenvalues = property(lambda self: self.flow.eigenvalues)

    def params(self, t):
        r"""Parameters :math:`\phi(t)`, shape (P,) or (T, P)."""
        return self.flow.params(t)

    def outputs(self, t):
        r"""Outputs :math:`f_{\mathrm{lin}}(t)` at the training inputs, shape (I,) or (T, I)."""
        return self.flow.outputs(t) + self.offset

    def residuals(self, t):
        """Residuals :math:`f_{\\mathrm{lin}}(t) - y`, shape (I,) or (T, I)."""
        return self.flow.residuals(t)

    def loss(self, t):
        """Loss :math:`\\tfrac12\\lVert f_{\\mathrm{lin}}(t) - y\\rVert^2`."""
        return self.flow.loss(t)

    def predict(self, x_new, t):
        r"""Outputs :math:`J_*^T\phi(t) + c_*` at new inputs ``x_new`` (M,): (M,) or (T, M)."""
        return self.evaluate(self.flow.params(t), x_new)

    def evaluate(self, phi, x_new):
        r"""Outputs :math:`J_*^T\phi + c_*` of the linearized network with parameters ``phi`` (P,)
        or (K, P) at scalar inputs ``x_new`` (M,), shape (M,) or (K, M), without the Jacobian."""
        # J^T phi = D^{-1/2} sum_j [v_j s_j (w'_j . u) + relu(a_j) v'_j] + beta', and
        # c = beta0 - f0 since J^T phi0 = 2 f0 - beta0 (f is 2-homogeneous in (W, v)).
        x_new = v.scalar_inputs(x_new, "x_new")
        phis = np.atleast_2d(v.path(phi, self.flow.D, "phi"))
        p0, D = self.params0, self.params0.width
        W0, W1 = np.ascontiguousarray(p0.W[:, 0]), np.ascontiguousarray(p0.W[:, 1])
        Wp0, Wp1, Vp, Bp = phis[:, :D].T, phis[:, D:2 * D].T, phis[:, 2 * D:3 * D].T, phis[:, -1]
        beta0, sD = float(p0.beta), np.sqrt(D)
        out = np.empty((phis.shape[0], x_new.size))
        step = max(1, (1 << 21) // D)
        for s in range(0, x_new.size, step):
            xc = x_new[s:s + step]
            a = xc[:, None] * W0 + W1  # (m, D)
            sv = np.where(a > 0, p0.v, 0.0)
            np.maximum(a, 0.0, out=a)
            lin = (xc[:, None] * (sv @ Wp0) + sv @ Wp1 + a @ Vp) / sD + Bp  # (m, K)
            f0 = a @ p0.v / sD + beta0
            out[:, s:s + step] = (lin + (beta0 - f0)[:, None]).T
        return out[0] if np.ndim(phi) == 1 else out

    def __repr__(self):
        return f"LinearizedNetwork(D={self.params0.width}, I={self.x.size})"


@_docs.fill
def linearized_flow(params, x, y) -> LinearizedNetwork:
    """The gradient flow of the network linearized at ``params``, in closed form. Introduced in
    the chapter on wide networks: every closed form applies to its ``flow``.

    Parameters
    ----------
    params : ShallowParams
        One network (no batch axis).
    x : array_like, shape (I,)
    %(y)s

    Returns
    -------
    LinearizedNetwork
    """
    return LinearizedNetwork(params, x, y)


@_docs.fill
def last_layer_features(params, x) -> np.ndarray:
    r"""The features seen by the last layer, :math:`(\mathrm{ReLU}(Wu)/\sqrt D,\, 1)`, at scalar
    inputs ``x`` (M,): shape (D + 1, M), or (N, D + 1, M) for a batch."""
    params, x = _params(params), v.scalar_inputs(x)
    act = np.maximum(_hidden(params, x), 0.0) / np.sqrt(params.width)
    return np.concatenate([act, np.ones(act.shape[:-2] + (1, x.size))], axis=-2)


@_docs.fill
def last_layer_flow(params, x, y) -> LinearFlow:
    r"""Gradient flow of the last layer ``(v, beta)`` of one network, ``W`` fixed, on inputs and
    targets ``x, y`` (I,): exact, the :class:`~gflow_lib.LinearFlow` over
    :func:`last_layer_features` from ``(v, beta)``. Its kernel tends to the NNGP kernel with
    :math:`\sigma_\beta^2 = 1` as D grows."""
    params = _params(params)
    if params.batch_shape:
        raise ValueError("params must be one network, not a batch; got batch shape "
                         f"{params.batch_shape}")
    F = last_layer_features(params, x)
    return LinearFlow(F, y, np.append(params.v, params.beta))


# --------------------------------------------------------------------------- training
class Training(NamedTuple):
    """What :func:`train_shallow` recorded at the steps ``steps`` (K,): ``outputs`` (K, [N,] I),
    ``eval_outputs`` (K, [N,] M) or None, ``loss`` (K, [N]), ``params`` (K, [N,] P) or None,
    ``final`` parameters, and ``diverged`` (bool, or (N,) bools)."""

    steps: np.ndarray
    t: np.ndarray
    outputs: np.ndarray
    eval_outputs: np.ndarray | None
    loss: np.ndarray
    params: np.ndarray | None
    final: ShallowParams
    diverged: bool | np.ndarray = False


class DivergenceWarning(RuntimeWarning):
    """Gradient descent on a network ended with a larger (or non-finite) loss than it began."""


def _warn_divergence(p, x, lr, loss, diverged, last_layer_only):
    """Warn with lr against 2/lambda_max of the kernel the steps use, at the start."""
    if last_layer_only:
        F, kernel = last_layer_features(p, x), "last-layer kernel"
        Theta = np.swapaxes(F, -1, -2) @ F
    else:
        Theta, kernel = empirical_ntk(p, x), "empirical NTK"
    lam_max = np.array([kernel_eigen(T, kernel).lam[-1]
                        for T in np.reshape(Theta, (-1, *Theta.shape[-2:]))])
    limit = 2.0 / np.reshape(lam_max, Theta.shape[:-2])[diverged]
    which = "" if np.ndim(diverged) == 0 else f" for {diverged.sum()} of {diverged.size} networks"
    warnings.warn(
        f"train_shallow diverged{which}: the loss went from {np.max(loss[0][diverged]):.3g} to "
        f"{np.max(loss[-1][diverged]):.3g}; lr = {lr:.6g} against 2/lambda_max = "
        f"{np.min(limit):.6g} of the {kernel} at the start (descent on the linearization is "
        "stable only below it)", DivergenceWarning, stacklevel=3)




@_docs.fill
def train_shallow(params, x, y, lr, n_steps, x_eval=None, record_every=1,
                  record_params=True, last_layer_only=False) -> Training:
    r"""Gradient descent on the real network, step by step, with the gradients by hand.
    Introduced in the chapter on wide networks. With residuals :math:`r = f - y` (a batch at once):

    .. math:: \phi_{k+1} = \phi_k - \mathrm{lr}\, J(\phi_k)\, r(\phi_k), \qquad t = k\,\mathrm{lr}.

    Parameters
    ----------
    params : ShallowParams
        The start.
    x, y : array_like, shape (I,)
    %(lr)s
    %(n_steps)s
    x_eval : array_like, shape (M,), optional
        Inputs at which to record the outputs too.
    record_every : int
        Record every this many steps (and the first and the last).
    record_params : bool
        Keep the flat parameters of every recorded step.
    last_layer_only : bool
        Train ``(v, beta)`` only.

    Returns
    -------
    Training
        ``diverged`` set, with a :class:`DivergenceWarning` naming ``lr`` and
        :math:`2/\lambda_{\max}`, when a network ends with a larger loss than it began.
    """
    p = _params(params)
    x = v.scalar_inputs(x)
    y = v.vector(y, "y", x.size, what=" (one target per input)")
    lr = v.positive_scalar(lr, "lr")
    n_steps = v.non_negative_int(n_steps, "n_steps")
    every = v.positive_int(record_every, "record_every")
    x_eval = None if x_eval is None else v.scalar_inputs(x_eval, "x_eval")
    N = int(np.prod(p.batch_shape))
    v.size_limit((n_steps + 1) * N * x.size * p.width, "n_steps * networks * inputs * width",
                 v.MAX_WORK, " (the work of the run)")
    steps = np.unique(np.r_[np.arange(0, n_steps + 1, every), n_steps])
    per_record = N * (x.size + (0 if x_eval is None else x_eval.size)
                      + (3 * p.width + 1 if record_params else 0))
    v.size_limit(steps.size * per_record, "the recorded values (steps recorded * networks * "
                 "(inputs + x_eval + parameters))")
    sD = np.sqrt(p.width)
    W0, W1 = np.array(p.W[..., 0]), np.array(p.W[..., 1])  # own contiguous copies
    vv, beta = np.array(p.v), np.array(p.beta, dtype=float)
    X2 = np.stack([x, np.ones_like(x)])  # the inputs u = (x, 1) as rows, (2, I)
    outs, evals, losses, flats = [], [], [], []

    def state():
        return ShallowParams(np.stack([W0, W1], axis=-1), vv, np.asarray(beta))

    def outputs(xs):
        a = np.maximum(xs[:, None] * W0[..., None, :] + W1[..., None, :], 0.0)
        return (a @ vv[..., :, None])[..., 0] / sD + beta[..., None]

    k_rec = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(n_steps + 1):
            a = x[:, None] * W0[..., None, :]  # pre-activations, (..., I, D)
            a += W1[..., None, :]
            act = np.maximum(a, 0.0)
            f = (act @ vv[..., :, None])[..., 0] / sD + beta[..., None]
            r = f - y
            if k == steps[k_rec]:
                outs.append(f)
                losses.append(0.5 * np.sum(r * r, axis=-1))
                if x_eval is not None:
                    evals.append(outputs(x_eval))
                if record_params:
                    flats.append(state().flat())
                k_rec += 1
            if k == n_steps:
                break
            g_v = (r[..., None, :] @ act)[..., 0, :] / sD
            if not last_layer_only:
                G = X2 @ ((a > 0) * r[..., :, None])  # (..., 2, D)
                step_w = vv * (lr / sD)
                W0 -= step_w * G[..., 0, :]
                W1 -= step_w * G[..., 1, :]
            vv -= lr * g_v
            beta = beta - lr * r.sum(axis=-1)
    final = state()
    loss = np.array(losses)
    diverged = ~(loss[-1] <= loss[0])  # NaN or inf counts
    if np.any(diverged):
        _warn_divergence(p, x, lr, loss, diverged, last_layer_only)
    return Training(
        steps=steps, t=steps * lr, outputs=np.array(outs), loss=loss,
        eval_outputs=None if x_eval is None else np.array(evals),
        params=np.array(flats) if record_params else None,
        final=ShallowParams(*(v.frozen(a) for a in final)),
        diverged=diverged if diverged.ndim else bool(diverged),
    )


# ------------------------------------------------------------------------ deep networks
class DeepParams(NamedTuple):
    """Parameters of a deep ReLU network on scalar inputs: ``weights[l]`` (n_l, n_{l+1}),
    n_0 = 1, one output; ``biases[l]`` (n_{l+1},)."""

    weights: tuple
    biases: tuple
    sigma_w: float
    sigma_b: float


@_docs.fill
def init_deep(widths, seed=0, sigma_w=1.0, sigma_b=1.0) -> DeepParams:
    r"""A deep ReLU network in the NTK parameterization of neural-tangents' ``stax``.
    Introduced in the chapter on wide networks. ``stax.serial(Dense(n_1, W_std, b_std), Relu(),
    ..., Relu(), Dense(1, W_std, b_std))``, every weight and bias drawn from N(0, 1):

    .. math:: z_{l+1} = \frac{\sigma_w}{\sqrt{n_l}} W_{l+1}^T h_l + \sigma_b b_{l+1},
        \qquad h_l = \mathrm{ReLU}(z_l),\; h_0 = x.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths (n_1, ..., n_L), L >= 1.
    %(seed)s
    sigma_w, sigma_b : float
        ``W_std`` > 0 and ``b_std`` >= 0.

    Returns
    -------
    DeepParams
    """
    widths = [v.positive_int(n, "widths") for n in np.atleast_1d(np.asarray(widths)).tolist()]
    if not widths:
        raise ValueError("widths must hold at least one hidden width; got none")
    sw = v.positive_scalar(sigma_w, "sigma_w")
    sb = v.non_negative_scalar(sigma_b, "sigma_b")
    rng = np.random.default_rng(v.non_negative_int(seed, "seed"))
    sizes = [1, *widths, 1]
    v.size_limit(sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True)), "widths",
                 what=" weights in all (the sum of the products of consecutive widths)")
    Ws = tuple(v.frozen(rng.standard_normal((a, b))) for a, b in zip(sizes, sizes[1:],
                                                                       strict=False))
    bs = tuple(v.frozen(rng.standard_normal(b)) for b in sizes[1:])
    return DeepParams(Ws, bs, sw, sb)


def _deep_pass(params, x):
    """Forward pass: the inputs h_l (M, n_l) of each layer and the pre-activations z_l."""
    if not isinstance(params, DeepParams):
        raise TypeError(f"params must be DeepParams from init_deep; got {v.describe(params)}")
    hs, zs = [x[:, None]], []
    for i, (W, b) in enumerate(zip(params.weights, params.biases, strict=True)):
        z = params.sigma_w / np.sqrt(W.shape[0]) * (hs[-1] @ W) + params.sigma_b * b
        zs.append(z)
        if i < len(params.weights) - 1:
            hs.append(np.maximum(z, 0.0))
    return hs, zs


def deep_forward(params, x) -> np.ndarray:
    """Outputs of the deep network at scalar inputs ``x`` (M,), shape (M,)."""
    hs, zs = _deep_pass(params, v.scalar_inputs(x))
    return zs[-1][:, 0]


@_docs.fill
def deep_empirical_ntk(params, x1, x2=None) -> np.ndarray:
    r"""The empirical NTK of the deep network, by back-propagation, without the Jacobian.
    Introduced in the chapter on wide networks. With :math:`\delta_l = \partial f/\partial z_l`
    and :math:`h_{l-1}` the layer's input, each layer adds

    .. math:: \Big(\frac{\sigma_w^2}{n_{l-1}}\, h_{l-1}\cdot h_{l-1}' + \sigma_b^2\Big)
        \,(\delta_l\cdot\delta_l').

    Parameters
    ----------
    params : DeepParams
    %(x1_x2)s

    Returns
    -------
    ndarray, shape (M1, M2)
    """
    x1 = v.scalar_inputs(x1, "x1")
    x2 = x1 if x2 is None else v.scalar_inputs(x2, "x2")
    sides = []
    for x in (x1, x2):
        hs, zs = _deep_pass(params, x)
        deltas = [np.ones((x.size, 1))]
        for layer in range(len(zs) - 1, 0, -1):
            W = params.weights[layer]
            back = params.sigma_w / np.sqrt(W.shape[0]) * (deltas[0] @ W.T)
            deltas.insert(0, back * (zs[layer - 1] > 0))
        sides.append((hs, deltas))
    (h1, d1), (h2, d2) = sides
    out = np.zeros((x1.size, x2.size))
    for layer, W in enumerate(params.weights):
        feat = params.sigma_w**2 / W.shape[0] * (h1[layer] @ h2[layer].T) + params.sigma_b**2
        out += feat * (d1[layer] @ d2[layer].T)
    return out
