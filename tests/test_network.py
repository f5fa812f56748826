"""gflow_lib.network: the finite networks, against independent methods.

The hand-written gradients against central differences of the forward pass; the empirical
NTK against the product of Jacobians; gradient descent against a step written out here and
against the library's linear descent on the last layer; the linearized network against the
trained one as the width grows; the deep network's NTK against central differences.
"""

from __future__ import annotations

import numpy as np
import pytest

from gflow_lib import descent_closed_form, gradient_descent
from gflow_lib.network import (
    DeepParams,
    DivergenceWarning,
    LinearizedNetwork,
    ShallowParams,
    active_units,
    deep_empirical_ntk,
    deep_forward,
    empirical_ntk,
    init_deep,
    init_shallow,
    kernel_change_parts,
    last_layer_features,
    last_layer_flow,
    linearized_flow,
    shallow_forward,
    shallow_jacobian,
    train_shallow,
)

X = np.array([0.2, 0.4, 0.8])
Y = np.array([-0.05, -0.2, 0.3])
X_NEW = np.array([-1.0, 0.0, 0.3, 1.5])


def fd_jacobian(params, x, h=1e-6):
    """Central differences of the forward pass over the flat parameters, (P, M)."""
    phi = params.flat()
    rows = []
    for e in np.eye(phi.size):
        up = shallow_forward(ShallowParams.from_flat(phi + h * e), x)
        down = shallow_forward(ShallowParams.from_flat(phi - h * e), x)
        rows.append((up - down) / (2 * h))
    return np.array(rows)


# ---------------------------------------------------------------------- parameters
def test_init_shapes_seed_and_read_only():
    p = init_shallow(7, seed=3, bias_var=0.5)
    assert p.W.shape == (7, 2) and p.v.shape == (7,) and np.shape(p.beta) == ()
    assert p.width == 7 and p.batch_shape == ()
    assert all(not a.flags.writeable for a in p)
    q = init_shallow(7, seed=3, bias_var=0.5)
    assert all(np.array_equal(a, b) for a, b in zip(p, q, strict=True))
    assert init_shallow(7, seed=3).beta == 0.0  # bias_var = 0: beta starts at 0
    batch = init_shallow(7, seed=3, n_networks=4)
    assert batch.W.shape == (4, 7, 2) and batch.v.shape == (4, 7) and batch.beta.shape == (4,)


def test_init_draws_standard_normals():
    p = init_shallow(200_000, seed=0)
    assert abs(p.W.std() - 1) < 0.01 and abs(p.v.std() - 1) < 0.01
    b = init_shallow(3, seed=0, bias_var=4.0, n_networks=20_000).beta
    assert abs(b.var() / 4.0 - 1) < 0.05


def test_flat_round_trip_and_order():
    p = init_shallow(4, seed=1, bias_var=1.0)
    phi = p.flat()
    assert phi.shape == (13,)
    assert np.array_equal(phi[:4], p.W[:, 0]) and np.array_equal(phi[4:8], p.W[:, 1])
    assert np.array_equal(phi[8:12], p.v) and phi[12] == p.beta
    q = ShallowParams.from_flat(phi)
    assert all(np.array_equal(a, b) for a, b in zip(p, q, strict=True))
    batch = init_shallow(4, seed=1, n_networks=3)
    assert ShallowParams.from_flat(batch.flat()).W.shape == (3, 4, 2)


# ------------------------------------------------------------------- forward and gradients
def test_forward_by_hand():
    W = np.array([[1.0, -0.5], [-2.0, 1.0]])
    p = ShallowParams(W, np.array([3.0, -1.0]), np.array(0.25))
    # x = 0.2: pre-activations (-0.3, 0.6); x = 1: (0.5, -1.0)
    want = 0.25 + np.array([-0.6, 1.5]) / np.sqrt(2)
    assert np.allclose(shallow_forward(p, [0.2, 1.0]), want, rtol=0, atol=1e-15)


@pytest.mark.parametrize("width, seed, bias_var", [(1, 0, 0.0), (5, 1, 0.3), (40, 2, 1.0)])
def test_jacobian_against_central_differences(width, seed, bias_var):
    p = init_shallow(width, seed=seed, bias_var=bias_var)
    x = np.r_[X, X_NEW]
    J = shallow_jacobian(p, x)
    assert J.shape == (3 * width + 1, x.size)
    assert np.max(np.abs(J - fd_jacobian(p, x))) < 1e-8


def test_jacobian_fails_when_a_gradient_is_wrong():
    """The central-difference check can fail: a Jacobian without the 1/sqrt(D) is caught."""
    p = init_shallow(5, seed=1)
    wrong = shallow_jacobian(p, X) * np.sqrt(5)
    wrong[-1] = 1.0
    assert np.max(np.abs(wrong - fd_jacobian(p, X))) > 1e-2


def test_euler_identity_for_the_relu_network():
    """f is homogeneous of degree 2 in (W, v) and of degree 1 in beta: J^T phi = 2 f - beta."""
    p = init_shallow(30, seed=4, bias_var=2.0)
    J = shallow_jacobian(p, X_NEW)
    assert np.allclose(p.flat() @ J, 2 * shallow_forward(p, X_NEW) - p.beta, atol=1e-13)


def test_batch_equals_each_network():
    batch = init_shallow(6, seed=5, bias_var=1.0, n_networks=3)
    f = shallow_forward(batch, X_NEW)
    J = shallow_jacobian(batch, X_NEW)
    K = empirical_ntk(batch, X, X_NEW)
    assert f.shape == (3, 4) and J.shape == (3, 19, 4) and K.shape == (3, 3, 4)
    for n in range(3):
        one = ShallowParams(batch.W[n], batch.v[n], batch.beta[n])
        assert np.allclose(f[n], shallow_forward(one, X_NEW), atol=1e-15)
        assert np.allclose(J[n], shallow_jacobian(one, X_NEW), atol=1e-15)
        assert np.allclose(K[n], empirical_ntk(one, X, X_NEW), atol=1e-14)


# ---------------------------------------------------------------------------- the NTK
@pytest.mark.parametrize("width", [1, 3, 50])
def test_empirical_ntk_is_the_product_of_jacobians(width):
    p = init_shallow(width, seed=width, bias_var=0.7)
    J1, J2 = shallow_jacobian(p, X), shallow_jacobian(p, X_NEW)
    assert np.allclose(empirical_ntk(p, X, X_NEW), J1.T @ J2, rtol=1e-13, atol=1e-13)
    K = empirical_ntk(p, X)
    assert np.allclose(K, K.T, atol=0) and np.all(np.linalg.eigvalsh(K) > -1e-12)


def test_empirical_ntk_does_not_depend_on_the_bias():
    p = init_shallow(10, seed=2)
    q = ShallowParams(p.W, p.v, np.array(3.0))
    assert np.array_equal(empirical_ntk(p, X), empirical_ntk(q, X))


# ---------------------------------------------------------------------------- training
def test_one_step_is_phi_minus_lr_J_r():
    p = init_shallow(8, seed=0, bias_var=0.5)
    r = shallow_forward(p, X) - Y
    want = p.flat() - 0.1 * shallow_jacobian(p, X) @ r
    tr = train_shallow(p, X, Y, 0.1, 1)
    assert np.allclose(tr.final.flat(), want, rtol=0, atol=1e-15)
    assert np.allclose(tr.params[-1], want, atol=1e-15)
    assert np.allclose(tr.outputs[0], r + Y) and tr.steps.tolist() == [0, 1]


def test_the_gradient_is_the_gradient_of_the_loss():
    p = init_shallow(6, seed=7, bias_var=1.0)
    phi, h = p.flat(), 1e-6

    def loss(ph):
        return 0.5 * np.sum((shallow_forward(ShallowParams.from_flat(ph), X) - Y) ** 2)

    fd = np.array([(loss(phi + h * e) - loss(phi - h * e)) / (2 * h) for e in np.eye(phi.size)])
    with pytest.warns(DivergenceWarning):  # lr = 1: the gradient, a step that overshoots
        step = (phi - train_shallow(p, X, Y, 1.0, 1).final.flat())
    assert np.max(np.abs(step - fd)) < 1e-8


def test_recording_and_loss():
    p = init_shallow(50, seed=1)
    tr = train_shallow(p, X, Y, 0.05, 25, x_eval=X_NEW, record_every=10)
    assert tr.steps.tolist() == [0, 10, 20, 25] and np.allclose(tr.t, tr.steps * 0.05)
    assert tr.outputs.shape == (4, 3) and tr.eval_outputs.shape == (4, 4)
    assert tr.params.shape == (4, 151) and tr.loss.shape == (4,)
    assert np.all(np.diff(tr.loss) < 0)
    for k, phi in enumerate(tr.params):
        q = ShallowParams.from_flat(phi)
        assert np.allclose(tr.outputs[k], shallow_forward(q, X), atol=1e-14)
        assert np.allclose(tr.eval_outputs[k], shallow_forward(q, X_NEW), atol=1e-14)
        assert np.isclose(tr.loss[k], 0.5 * np.sum((tr.outputs[k] - Y) ** 2))
    assert train_shallow(p, X, Y, 0.05, 3, record_params=False).params is None
    assert train_shallow(p, X, Y, 0.05, 0).steps.tolist() == [0]


def test_a_batch_trains_like_each_network():
    batch = init_shallow(20, seed=9, bias_var=1.0, n_networks=3)
    tr = train_shallow(batch, X, Y, 0.1, 30, x_eval=X_NEW, record_every=15)
    assert tr.outputs.shape == (3, 3, 3) and tr.params.shape == (3, 3, 61)
    for n in range(3):
        one = ShallowParams(batch.W[n], batch.v[n], batch.beta[n])
        alone = train_shallow(one, X, Y, 0.1, 30, x_eval=X_NEW, record_every=15)
        assert np.allclose(tr.outputs[:, n], alone.outputs, atol=1e-13)
        assert np.allclose(tr.eval_outputs[:, n], alone.eval_outputs, atol=1e-13)
        assert np.allclose(tr.params[:, n], alone.params, atol=1e-13)


def test_last_layer_training_is_linear_descent_on_the_features():
    p = init_shallow(40, seed=2, bias_var=1.0)
    tr = train_shallow(p, X, Y, 0.2, 60, last_layer_only=True)
    assert np.array_equal(tr.final.W, p.W)
    F = last_layer_features(p, X)
    path = gradient_descent(F, Y, np.append(p.v, p.beta), 0.2, 60)
    assert np.allclose(np.append(tr.final.v, tr.final.beta), path[-1], atol=1e-12)
    flow = last_layer_flow(p, X, Y)
    assert np.allclose(flow.outputs(0.0), shallow_forward(p, X), atol=1e-14)
    F_new = last_layer_features(p, X_NEW)
    assert np.allclose(flow.predict(F_new, 0.0), shallow_forward(p, X_NEW), atol=1e-14)


# ------------------------------------------------------------------------ linearization
def test_linearized_network_starts_at_the_network():
    p = init_shallow(30, seed=3, bias_var=0.5)
    lin = linearized_flow(p, X, Y)
    assert isinstance(lin, LinearizedNetwork)
    assert np.allclose(lin.outputs(0.0), shallow_forward(p, X), atol=1e-14)
    assert np.allclose(lin.predict(X_NEW, 0.0), shallow_forward(p, X_NEW), atol=1e-14)
    assert np.allclose(lin.predict(X, [0.0, 2.0]), lin.outputs([0.0, 2.0]), atol=1e-13)
    assert np.allclose(lin.evaluate(lin.params([1.0, 3.0]), X_NEW), lin.predict(X_NEW, [1.0, 3.0]))
    with pytest.raises(ValueError, match="phi must have shape"):
        lin.evaluate(np.ones(5), X_NEW)
    assert np.allclose(lin.residuals(5.0), lin.outputs(5.0) - Y, atol=1e-14)
    assert np.isclose(lin.loss(5.0), 0.5 * np.sum(lin.residuals(5.0) ** 2))
    assert np.allclose(lin.eigenvalues, np.linalg.eigvalsh(empirical_ntk(p, X)), rtol=1e-10)


def test_linearized_flow_is_exact_on_the_linear_model():
    """Its outputs solve df/dt = -Theta (f - y) with the empirical NTK (matrix exponential)."""
    import scipy.linalg

    p = init_shallow(25, seed=8)
    lin = linearized_flow(p, X, Y)
    Theta, f0 = empirical_ntk(p, X), shallow_forward(p, X)
    for t in (0.3, 4.0, 60.0):
        want = Y + scipy.linalg.expm(-Theta * t) @ (f0 - Y)
        assert np.allclose(lin.outputs(t), want, atol=1e-12)
    Theta_new = empirical_ntk(p, X_NEW, X)
    want = shallow_forward(p, X_NEW) - Theta_new @ np.linalg.solve(
        Theta, (np.eye(3) - scipy.linalg.expm(-Theta * 4.0)) @ (f0 - Y))
    assert np.allclose(lin.predict(X_NEW, 4.0), want, atol=1e-10)


def test_trained_network_approaches_its_linearization_as_width_grows():
    """Same gradient descent on the network and, in closed form, on its linearization: the gap
    shrinks like 1/sqrt(D) (a factor about 10 for 100 times the width)."""
    lr, k = 0.2, 150
    gaps = []
    for D in (100, 10_000):
        gap = []
        for seed in range(4):
            p = init_shallow(D, seed=seed)
            tr = train_shallow(p, X, Y, lr, k, x_eval=X_NEW, record_every=k, record_params=False)
            lin = linearized_flow(p, X, Y)
            phi = descent_closed_form(lin.flow.X, lin.flow.y, lin.flow.phi0, lr, k)
            f_lin = lin.evaluate(phi, X_NEW)
            J_new = shallow_jacobian(p, X_NEW)
            assert np.allclose(f_lin, phi @ J_new + shallow_forward(p, X_NEW)
                               - p.flat() @ J_new, atol=1e-12)
            gap.append(np.max(np.abs(tr.eval_outputs[-1] - f_lin)))
        gaps.append(np.mean(gap))
    slope = np.log(gaps[1] / gaps[0]) / np.log(100)
    assert -0.8 < slope < -0.3, (gaps, slope)


def test_linearized_flow_refuses_a_batch():
    with pytest.raises(ValueError, match="one network"):
        linearized_flow(init_shallow(3, n_networks=2), X, Y)
    with pytest.raises(ValueError, match="one network"):
        last_layer_flow(init_shallow(3, n_networks=2), X, Y)


# ---------------------------------------------------------------------------- deep nets
def test_deep_network_by_hand():
    p = init_deep([2], seed=0, sigma_w=1.5, sigma_b=0.5)
    (W1, W2), (b1, b2) = p.weights, p.biases
    x = np.array([0.3, -1.2])
    h = np.maximum(1.5 * np.outer(x, W1[0]) + 0.5 * b1, 0.0)
    want = 1.5 / np.sqrt(2) * h @ W2[:, 0] + 0.5 * b2[0]
    assert np.allclose(deep_forward(p, x), want, atol=1e-15)


@pytest.mark.parametrize("widths, sigma_w, sigma_b", [([4], 1.0, 1.0), ([5, 3], 1.3, 0.4),
                                                      ([3, 4, 2], 0.8, 0.0)])
def test_deep_ntk_against_central_differences(widths, sigma_w, sigma_b):
    p = init_deep(widths, seed=1, sigma_w=sigma_w, sigma_b=sigma_b)
    x1, x2 = np.array([0.2, 0.4, 0.8]), np.array([-0.7, 1.1])
    arrays = list(p.weights) + list(p.biases)
    h = 1e-6

    def jac(x):
        cols = []
        for i, a in enumerate(arrays):
            for idx in np.ndindex(a.shape):
                shifted = []
                for s in (h, -h):
                    b = [np.array(c) for c in arrays]
                    b[i][idx] += s
                    n = len(p.weights)
                    q = DeepParams(tuple(b[:n]), tuple(b[n:]), p.sigma_w, p.sigma_b)
                    shifted.append(deep_forward(q, x))
                cols.append((shifted[0] - shifted[1]) / (2 * h))
        return np.array(cols)

    want = jac(x1).T @ jac(x2)
    assert np.allclose(deep_empirical_ntk(p, x1, x2), want, atol=1e-7)
    assert np.allclose(deep_empirical_ntk(p, x1), jac(x1).T @ jac(x1), atol=1e-7)


# --------------------------------------------------------------- active units, kernel change
def test_active_units_against_the_jacobian():
    """A unit is active at some input iff its output-weight gradient ReLU(a)/sqrt(D) is."""
    for seed in range(4):
        p = init_shallow(40, seed=seed)
        x = np.array([-3.0, -1.0, 0.2, 2.0])[: seed + 1]
        rows = shallow_jacobian(p, x)[80:120]  # d f / d v_j
        assert active_units(p, x) == int(np.sum(np.any(rows > 0, axis=1)))
    batch = init_shallow(30, seed=5, n_networks=3)
    want = [active_units(ShallowParams(batch.W[i], batch.v[i], batch.beta[i]), X)
            for i in range(3)]
    assert active_units(batch, X).tolist() == want


def test_a_dead_unit_never_trains_again():
    W = np.array([[1.0, 1.0], [-1.0, -5.0]])  # unit 2: w.u < 0 on all of X
    p = ShallowParams(W, np.array([0.5, 2.0]), np.array(0.0))
    assert active_units(p, X) == 1
    run = train_shallow(p, X, Y, 0.1, 20)
    assert np.array_equal(run.final.W[1], W[1]) and run.final.v[1] == 2.0
    assert active_units(run.final, X) == 1


def _ntk_from_jacobians(p_weights, p_pattern, x1, x2):
    """J^T J with the ReLU steps of another network: the Jacobian written out here."""
    def jac(x):
        a = p_weights.W[:, 0:1] * x + p_weights.W[:, 1:2]
        s = (p_pattern.W[:, 0:1] * x + p_pattern.W[:, 1:2]) > 0
        D = p_weights.width
        g = p_weights.v[:, None] * s / np.sqrt(D)
        return np.vstack([g * x, g, np.maximum(a, 0) / np.sqrt(D), np.ones((1, x.size))])
    return jac(x1).T @ jac(x2)


def test_kernel_change_parts_against_jacobians():
    p0 = init_shallow(300, seed=2)
    p1 = train_shallow(p0, X, Y, 0.2, 40, record_params=False).final
    x1, x2 = np.array([-1.0, 0.2, 0.5, 1.5]), X
    parts = kernel_change_parts(p0, p1, x1, x2)
    mixed = _ntk_from_jacobians(p1, p0, x1, x2)
    assert np.allclose(parts.smooth, mixed - _ntk_from_jacobians(p0, p0, x1, x2), atol=1e-13)
    assert np.allclose(parts.switching, _ntk_from_jacobians(p1, p1, x1, x2) - mixed,
                       atol=1e-13)
    total = empirical_ntk(p1, x1, x2) - empirical_ntk(p0, x1, x2)
    assert np.allclose(parts.smooth + parts.switching, total, atol=1e-13)
    assert np.any(parts.switching != 0)  # some unit switched in 40 steps at D = 300


def test_no_switching_when_no_unit_changes_sides():
    p0 = init_shallow(50, seed=3)
    p1 = ShallowParams(p0.W * 1.001, p0.v + 0.1, p0.beta)  # same signs of every w.u
    parts = kernel_change_parts(p0, p1, X)
    assert np.all(parts.switching == 0)
    assert np.allclose(parts.smooth, empirical_ntk(p1, X) - empirical_ntk(p0, X), atol=1e-14)
    same = kernel_change_parts(p0, p0, X)
    assert np.all(same.smooth == 0) and np.all(same.switching == 0)


def test_kernel_change_parts_of_a_batch():
    p0 = init_shallow(20, seed=4, n_networks=2)
    p1 = train_shallow(p0, X, Y, 0.3, 10, record_params=False).final
    parts = kernel_change_parts(p0, p1, X)
    assert parts.smooth.shape == (2, 3, 3)
    one = kernel_change_parts(ShallowParams(p0.W[1], p0.v[1], p0.beta[1]),
                              ShallowParams(p1.W[1], p1.v[1], p1.beta[1]), X)
    assert np.allclose(parts.switching[1], one.switching, atol=1e-14)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda: init_shallow(0), ValueError, "width must be a positive integer"),
        (lambda: init_shallow(2.5), TypeError, "width must be a non-negative integer"),
        (lambda: init_shallow(3, bias_var=-1.0), ValueError, "bias_var must be a finite"),
        (lambda: init_shallow(3, seed=-1), ValueError, "seed"),
        (lambda: shallow_forward((1, 2), X), TypeError, "params must be ShallowParams"),
        (lambda: shallow_forward((np.ones((3, 3)), np.ones(3), 0.0), X), ValueError,
         "W of shape (..., D, 2)"),
        (lambda: shallow_forward((np.full((2, 2), np.nan), np.ones(2), 0.0), X), ValueError,
         "params.W must contain only finite"),
        (lambda: shallow_forward(init_shallow(2), np.ones((2, 2))), ValueError,
         "x must be a 1-D array"),
        (lambda: empirical_ntk(init_shallow(2), X, [np.inf]), ValueError, "x2 must contain"),
        (lambda: train_shallow(init_shallow(2), X, Y[:2], 0.1, 3), ValueError,
         "y must have length 3"),
        (lambda: train_shallow(init_shallow(2), X, Y, 0.0, 3), ValueError, "lr must be"),
        (lambda: train_shallow(init_shallow(2), X, Y, 0.1, -1), ValueError, "n_steps"),
        (lambda: train_shallow(init_shallow(2), X, Y, 0.1, 3, record_every=0), ValueError,
         "record_every must be a positive integer"),
        (lambda: ShallowParams.from_flat(np.ones(5)), ValueError, "P = 3D + 1"),
        (lambda: init_deep([]), ValueError, "at least one hidden width"),
        (lambda: init_deep([3], sigma_w=0.0), ValueError, "sigma_w"),
        (lambda: init_deep([3], sigma_b=-1.0), ValueError, "sigma_b"),
        (lambda: deep_forward(init_shallow(2), X), TypeError, "DeepParams"),
        (lambda: active_units(init_shallow(2), [[0.1]]), ValueError, "x must be a 1-D"),
        (lambda: kernel_change_parts(init_shallow(2), init_shallow(3), X), ValueError,
         "params0 and params1 must have the same shapes"),
        (lambda: kernel_change_parts(init_shallow(2), (1, 2), X), TypeError,
         "params must be ShallowParams"),
    ],
)
def test_bad_input(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value), str(info.value)


def test_callers_arrays_are_not_changed_or_kept():
    W, vv = np.ones((3, 2)), np.ones(3)
    p = ShallowParams(W, vv, np.array(0.0))
    train_shallow(p, X, Y, 0.1, 5)
    assert np.array_equal(W, np.ones((3, 2))) and np.array_equal(vv, np.ones(3))
    lin = linearized_flow(p, X, Y)
    W[0, 0] = 5.0
    assert lin.params0.W[0, 0] == 1.0
