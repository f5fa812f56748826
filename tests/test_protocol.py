"""The protocol of the spectral core (issue 16): filters are objects called as
``f(eigenvalues, index) -> Filter(gain, keep)``; ``Spectrum(X, y)`` and ``KernelSpectrum(K, y)``
share ``.path(filter, start)``; the book's methods are that call with another filter or start.
Each filter against its definition, the paths against the functions they replace (bit for
bit), function space against parameter space, a new filter in a few lines, and the named
errors for a bad index, a bad filter and a bad filter parameter."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import gflow_lib
import gflow_lib._validation as v
from gflow_lib import (
    Descent,
    ExactModifiedFlow,
    Flow,
    KernelFlow,
    KernelSpectrum,
    LinearFlow,
    ModifiedFlow,
    Ridge,
    Spectrum,
    descent_closed_form,
    ensemble_params,
    gradient_descent,
    modified_flow_params,
    prediction_distribution,
    ridge_params,
)
from gflow_lib.data import running_example
from gflow_lib.descent import exact_modified_flow_params
from gflow_lib.kernels import kernel_ridge
from gflow_lib.spectrum import Filter, KernelPath, SpectrumPath

LAM = np.array([1e-12, 0.05, 0.3, 1.0, 2.4])
LR = 0.3  # lr * max(LAM) = 0.72 < 1: every filter is defined
FILTERS = {
    "flow": (Flow(), np.array([0.0, 0.1, 2.0, 50.0])),
    "descent": (Descent(LR), np.array([0, 1, 7, 200])),
    "modified": (ModifiedFlow(LR), np.array([0.0, 0.1, 2.0, 50.0])),
    "exact-modified": (ExactModifiedFlow(LR), np.array([0.0, 0.3, 2.1, 60.0])),
    "ridge": (Ridge(), np.array([0.0, 1e-3, 1.0, 1e4])),
}


def _problem(rng, D, I):  # noqa: E741
    """A random problem with lambda_max = 1 (so lr = LR keeps every filter defined)."""
    X = rng.standard_normal((D, I))
    X /= np.linalg.norm(X, 2)
    return X, rng.standard_normal(I), rng.standard_normal(D)


# ------------------------------------------------------------------------- the filters
@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_sums_to_one_with_shape_index_by_eigenvalues(name):
    f, index = FILTERS[name]
    gain, keep = f(LAM, index)
    assert gain.shape == keep.shape == (index.size, LAM.size)
    np.testing.assert_allclose(gain + keep, 1.0, rtol=0, atol=4e-16)
    assert isinstance(f(LAM, index), Filter)
    assert f(LAM, index[2]).gain.shape == (1, LAM.size)  # a scalar index is one row
    # the first index is no move (t = 0, k = 0), except ridge's penalty 0: all the way
    assert np.all(gain[0] == (1.0 if name == "ridge" else 0.0))


@pytest.mark.parametrize("name", ["flow", "descent", "modified", "exact-modified"])
def test_each_filters_gain_keeps_digits_where_it_is_tiny(name):
    f, index = FILTERS[name]
    gain = f(np.array([1e-20]), index[1:2]).gain[0, 0]
    rate = {"flow": 1.0, "descent": 1.0, "modified": 1.0, "exact-modified": 1.0}[name]
    assert gain == pytest.approx(rate * 1e-20 * (index[1] * (LR if name == "descent" else 1.0)),
                                 rel=1e-12)


def test_the_filters_are_their_formulas():
    t, k, p = np.array([0.7]), np.array([5]), np.array([0.4])
    np.testing.assert_allclose(Flow()(LAM, t).keep[0], np.exp(-LAM * 0.7), rtol=1e-15)
    np.testing.assert_allclose(Descent(LR)(LAM, k).keep[0], (1 - LR * LAM) ** 5, rtol=1e-14)
    np.testing.assert_allclose(ModifiedFlow(LR)(LAM, t).keep[0],
                               np.exp(-LAM * (1 + LR * LAM / 2) * 0.7), rtol=1e-14)
    np.testing.assert_allclose(ExactModifiedFlow(LR)(LAM, LR * k).keep[0],
                               (1 - LR * LAM) ** 5, rtol=1e-13)
    np.testing.assert_allclose(Ridge()(LAM, p).gain[0], LAM / (LAM + 0.4), rtol=1e-15)


def test_filters_are_small_immutable_values_with_a_repr():
    assert repr(Flow()) == "Flow()" and repr(Ridge()) == "Ridge()"
    assert repr(Descent(0.1)) == "Descent(lr=0.1)"
    assert repr(ExactModifiedFlow(lr=0.2)) == "ExactModifiedFlow(lr=0.2)"
    assert Descent(0.1) == Descent(0.1) and hash(ModifiedFlow(0.1)) == hash(ModifiedFlow(0.1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        Descent(0.1).lr = 0.2
    assert [Flow.index_kind, Descent.index_kind, Ridge.index_kind] == ["time", "steps",
                                                                         "penalty"]


@pytest.mark.parametrize("cls", [Descent, ModifiedFlow, ExactModifiedFlow])
@pytest.mark.parametrize("lr, exc, pattern", [
    (0.0, ValueError, r"^lr must be a finite positive number; got 0\.0$"),
    (-0.1, ValueError, r"^lr must be a finite positive number; got -0\.1$"),
    (np.inf, ValueError, r"^lr must be a finite positive number; got inf$"),
    (np.nan, ValueError, r"^lr must be a finite positive number; got nan$"),
    ("0.1", TypeError, r"^lr must be a positive real number; got str '0\.1'"),
    (True, TypeError, r"^lr must be a positive real number; got bool"),
])
def test_filter_parameters_are_checked_at_construction(cls, lr, exc, pattern):
    with pytest.raises(exc, match=pattern):
        cls(lr)


def test_every_filter_is_exported_from_the_package():
    for name in ("Flow", "Descent", "ModifiedFlow", "ExactModifiedFlow", "Ridge",
                 "KernelSpectrum", "Spectrum"):
        assert name in gflow_lib.__all__ and hasattr(gflow_lib, name)


# ------------------------------------------------------- paths equal what they replace
def test_linear_flow_is_the_path_of_flow(rng):
    for D, I in [(2, 3), (3, 7), (7, 3)]:  # noqa: E741
        X, y, phi0 = _problem(rng, D, I)
        flow, path = LinearFlow(X, y, phi0), Spectrum(X, y).path(Flow(), phi0)
        assert isinstance(flow, SpectrumPath)
        t = np.array([0.0, 0.2, 3.0])
        Xn = rng.standard_normal((D, 4))
        for method in ("params", "outputs", "residuals", "loss"):
            np.testing.assert_array_equal(getattr(flow, method)(t), getattr(path, method)(t))
        np.testing.assert_array_equal(flow.predict(Xn, 0.2), path.predict(Xn, 0.2))
        np.testing.assert_array_equal(flow.limit(), path.limit())
        assert flow.loss_limit() == path.loss_limit()
        assert repr(flow) == f"LinearFlow(D={D}, I={I}, rank={min(D, I)})"
        assert repr(path) == f"SpectrumPath(Flow(), D={D}, I={I}, rank={min(D, I)})"


def test_descent_ridge_and_the_crowd_are_paths(rng):
    X, y, phi0 = _problem(rng, 3, 6)
    spec = Spectrum(X, y)
    k, t = np.array([0, 3, 40]), np.array([0.0, 0.5, 4.0])
    lr = 0.5 / float(spec.lam[-1])
    np.testing.assert_array_equal(descent_closed_form(X, y, phi0, lr, k),
                                  spec.path(Descent(lr), phi0).params(k))
    np.testing.assert_array_equal(modified_flow_params(X, y, phi0, lr, t),
                                  spec.path(ModifiedFlow(lr), phi0).params(t))
    np.testing.assert_array_equal(exact_modified_flow_params(X, y, phi0, lr, t),
                                  spec.path(ExactModifiedFlow(lr), phi0).params(t))
    pens = np.array([0.01, 1.0])
    np.testing.assert_array_equal(ridge_params(X, y, pens, center=phi0),
                                  spec.path(Ridge(), phi0).params(pens))
    starts = rng.standard_normal((5, 3))
    crowd = ensemble_params(X, y, starts, t)
    assert crowd.shape == (3, 5, 3)
    for n in range(5):
        np.testing.assert_allclose(crowd[:, n], spec.path(Flow(), starts[n]).params(t),
                                   rtol=1e-13, atol=1e-15)
    # the descent path is the loop
    np.testing.assert_allclose(spec.path(Descent(lr), phi0).params(40),
                               gradient_descent(X, y, phi0, lr, 40)[-1], rtol=1e-11)


def test_kernel_spectrum_through_x_is_the_spectrum_seen_through_its_outputs(rng):
    """K = X^T X and f0 = X^T phi0: outputs, residuals, loss and predictions agree with the
    parameter-space path, for every filter (D < I, D > I and a rank-deficient X)."""
    cases = [_problem(rng, 3, 6), _problem(rng, 6, 3)]
    X, y, phi0 = _problem(rng, 4, 6)
    X[3] = X[0] + X[1]  # rank 3
    cases.append((X, y, phi0))
    for X, y, phi0 in cases:
        Xn = rng.standard_normal((X.shape[0], 5))
        spec, kspec = Spectrum(X, y), KernelSpectrum(X.T @ X, y)
        assert kspec.rank == spec.rank
        for name, (f, index) in FILTERS.items():
            p, kp = spec.path(f, phi0), kspec.path(f, X.T @ phi0)
            assert isinstance(kp, KernelPath)
            scale = 1.0 + np.abs(p.outputs(index)).max()
            for method in ("outputs", "residuals"):
                np.testing.assert_allclose(getattr(kp, method)(index),
                                           getattr(p, method)(index), rtol=0,
                                           atol=1e-12 * scale, err_msg=f"{name} {method}")
            np.testing.assert_allclose(kp.loss(index), p.loss(index), rtol=1e-10,
                                       atol=1e-12 * scale**2, err_msg=name)
            np.testing.assert_allclose(kp.predict(Xn.T @ X, index, f0_new=Xn.T @ phi0),
                                       p.predict(Xn, index), rtol=0, atol=1e-11 * scale,
                                       err_msg=name)


def test_kernel_flow_and_kernel_ridge_are_kernel_paths(rng):
    X, y, _ = _problem(rng, 3, 5)
    K, Kn, f0 = X.T @ X, rng.standard_normal((2, 3)) @ X, rng.standard_normal(5)
    path, flow = KernelSpectrum(K, y).path(Flow(), f0), KernelFlow(K, y, f0)
    assert isinstance(flow, KernelPath)
    for method in ("outputs", "residuals", "loss"):
        np.testing.assert_array_equal(getattr(flow, method)([0.0, 1.0]),
                                      getattr(path, method)([0.0, 1.0]))
    np.testing.assert_array_equal(flow.predict(Kn, 2.0), path.predict(Kn, 2.0))
    np.testing.assert_array_equal(kernel_ridge(K, y, Kn, [0.0, 0.5]),
                                  KernelSpectrum(K, y).path(Ridge()).predict(Kn, [0.0, 0.5]))
    assert repr(KernelSpectrum(K, y)) == "KernelSpectrum(I=5, rank=3)"


def test_a_new_filter_in_a_few_lines_plugs_into_both_spectra(rng):
    """A method the library does not have: harmonic damping, keep = 1 / (1 + lam t)."""

    class Harmonic:
        index_kind = "time"

        def __call__(self, lam, t):
            x = np.multiply.outer(np.atleast_1d(t), lam)
            return Filter(x / (1.0 + x), 1.0 / (1.0 + x))

    X, y, phi0 = _problem(rng, 3, 5)
    t = np.array([0.0, 0.5, 8.0])
    p = Spectrum(X, y).path(Harmonic(), phi0)
    kp = KernelSpectrum(X.T @ X, y).path(Harmonic(), X.T @ phi0)
    # reference: phi = phi0 + (I + A t)^{-1} A t (phi* - phi0) on the range, by solves
    A, star = X @ X.T, np.linalg.lstsq(X.T, y, rcond=None)[0]
    want = np.array([phi0 + np.linalg.solve(np.eye(3) + A * tk, A * tk @ (star - phi0))
                     for tk in t])
    np.testing.assert_allclose(p.params(t), want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(kp.outputs(t), want @ X, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(kp.loss(t), p.loss(t), rtol=1e-11)
    with pytest.raises(ValueError, match="^t must be non-negative"):
        p.params(-1.0)


# --------------------------------------------------------------------------- scalars
def test_scalar_index_drops_the_axis_an_array_keeps_it(rng):
    X, y, phi0 = _problem(rng, 2, 4)
    p = Spectrum(X, y).path(Descent(0.01), phi0)
    assert p.params(3).shape == (2,) and p.params([3]).shape == (1, 2)
    assert isinstance(p.loss(3), float) and p.loss(np.array([1, 2])).shape == (2,)
    kp = KernelSpectrum(X.T @ X, y).path(Ridge())
    assert kp.outputs(0.5).shape == (4,) and kp.outputs([0.5, 1.0]).shape == (2, 4)
    assert kp.predict(np.ones((3, 4)), 0.5).shape == (3,)


def test_the_start_defaults_to_zeros(rng):
    """LinearFlow(X, y, None) and its kin were "not enough values to unpack": the protocol's
    default start is zeros, in parameter space (phi0) and function space (f0)."""
    X, y, _ = running_example()
    zero = np.zeros(2)
    t = np.array([0.0, 0.5])
    np.testing.assert_array_equal(LinearFlow(X, y, None).params(t),
                                  LinearFlow(X, y, zero).params(t))
    np.testing.assert_array_equal(LinearFlow(X, y).params(t), Spectrum(X, y).path(Flow())
                                  .params(t))
    np.testing.assert_array_equal(gradient_descent(X, y, None, 0.1, 3),
                                  gradient_descent(X, y, zero, 0.1, 3))
    S = np.eye(2)
    for a, b in zip(prediction_distribution(X, y, X, t, None, S),
                    prediction_distribution(X, y, X, t, zero, S), strict=True):
        np.testing.assert_array_equal(a, b)
    from gflow_lib.frames import four_views
    np.testing.assert_array_equal(four_views(X, y, None).path, four_views(X, y, zero).path)
    np.testing.assert_array_equal(KernelSpectrum(X.T @ X, y).path(Flow()).f0, np.zeros(3))


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("f, index, exc, pattern", [
    (Flow(), -1.0, ValueError, r"^t must be non-negative; got minimum -1\.0"),
    (Flow(), [0.0, np.inf], ValueError, r"^t must be finite"),
    (Flow(), [[1.0]], ValueError, r"^t must be a scalar or a 1-D array"),
    (ModifiedFlow(0.1), -0.5, ValueError, r"^t must be non-negative"),
    (ExactModifiedFlow(0.1), np.nan, ValueError, r"^t must not be NaN"),
    (Descent(0.1), 2.5, TypeError, r"^k must be a non-negative integer .*got float 2\.5"),
    (Descent(0.1), [1.0, 2.0], TypeError, r"^k must be a non-negative integer"),
    (Descent(0.1), -3, ValueError, r"^k must be non-negative; got minimum -3\.0"),
    (Ridge(), -0.1, ValueError,
     r"^penalty must be a finite non-negative number or a 1-D array of them; got float -0\.1"),
    (Ridge(), [1.0, np.inf], ValueError, r"^penalty must be a finite non-negative number"),
    (Ridge(), True, TypeError, r"^penalty must be a non-negative number or a 1-D array"),
])
def test_a_bad_index_gets_the_filters_named_error(rng, f, index, exc, pattern):
    X, y, phi0 = _problem(rng, 2, 4)
    paths = [Spectrum(X, y).path(f, phi0), KernelSpectrum(X.T @ X, y).path(f)]
    for p in paths:
        for method in ("outputs", "residuals", "loss"):
            with pytest.raises(exc, match=pattern):
                getattr(p, method)(index)
    with pytest.raises(exc, match=pattern):
        paths[0].params(index)


def _no_kind(lam, t):
    return Flow()(lam, t)


class _WrongShape:
    index_kind = "time"

    def __call__(self, lam, t):
        return Filter(np.zeros(lam.shape), np.ones(lam.shape))


@pytest.mark.parametrize("f, exc, pattern", [
    (Flow, TypeError, r"^filter must be a filter object .*; call the class: Flow\(\)"),
    (_no_kind, TypeError, r"^filter must be a filter object such as gflow_lib\.Flow\(\)"),
    ("flow", TypeError, r"^filter must be a filter object.*got str 'flow'"),
    (None, TypeError, r"^filter must be a filter object"),
])
def test_a_bad_filter_object_gets_a_named_error(rng, f, exc, pattern):
    X, y, phi0 = _problem(rng, 2, 4)
    with pytest.raises(exc, match=pattern):
        Spectrum(X, y).path(f, phi0)
    with pytest.raises(exc, match=pattern):
        KernelSpectrum(X.T @ X, y).path(f)


def test_a_filter_returning_the_wrong_shape_is_named(rng):
    X, y, phi0 = _problem(rng, 2, 4)
    with pytest.raises(ValueError, match=r"^filter .*_WrongShape.* must return Filter\(gain, "
                                         r"keep\), two arrays of shape \(T, r\) = \(2, 2\)"):
        Spectrum(X, y).path(_WrongShape(), phi0).params([0.0, 1.0])


def test_bad_starts_and_spectra_are_named(rng):
    X, y, phi0 = _problem(rng, 2, 4)
    with pytest.raises(ValueError, match=r"^phi0 must have length 2"):
        Spectrum(X, y).path(Flow(), np.ones(3))
    with pytest.raises(ValueError, match=r"^f0 must have length 4"):
        KernelSpectrum(X.T @ X, y).path(Flow(), np.ones(3))
    with pytest.raises(ValueError, match=r"^the spectrum has no targets y"):
        Spectrum(X).path(Flow())
    with pytest.raises(ValueError, match=r"^the spectrum has no targets y"):
        KernelSpectrum(X.T @ X).path(Flow())
    with pytest.raises(TypeError, match=r"^spectrum must be a Spectrum"):
        SpectrumPath(X, Flow())
    with pytest.raises(ValueError, match=r"^K must be a non-empty square matrix"):
        KernelSpectrum(X, y)
    with pytest.raises(ValueError, match=r"^K_new must have shape \(M, 4\)"):
        KernelSpectrum(X.T @ X, y).path(Flow()).predict(np.ones((3, 2)), 1.0)


# ------------------------------------------------- built once: a spectrum is passed on
def test_functions_that_need_a_spectrum_take_a_built_one(monkeypatch):
    """four_views validates X once and decomposes it once; closest_time checks its times
    once (it checked t on every one of its evaluations), and both accept a Spectrum."""
    from gflow_lib import frames, regularization, spectrum

    X, y, phi0 = running_example()
    want = frames.four_views(X, y, phi0)
    counts = {"design": 0, "eigh": 0, "times": 0}

    def counting(key, fn):
        def wrapped(*args, **kwargs):
            counts[key] += 1
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(v, "design_matrix", counting("design", v.design_matrix))
    monkeypatch.setattr(spectrum.np.linalg, "eigh", counting("eigh", np.linalg.eigh))
    got = frames.four_views(X, y, phi0)
    assert counts["design"] == 1 and counts["eigh"] == 1, counts
    np.testing.assert_array_equal(got.surface.loss, want.surface.loss)
    np.testing.assert_array_equal(got.pred_var, want.pred_var)
    spec = Spectrum(X, y)
    counts.update(design=0, eigh=0)
    again = frames.four_views(spec, None, phi0)
    assert counts["design"] == 0 and counts["eigh"] == 0, counts
    np.testing.assert_array_equal(again.start_paths, want.start_paths)

    monkeypatch.setattr(v, "times", counting("times", v.times))
    phi_map = ridge_params(X, y, 1 / 60)
    best = regularization.closest_time(X, y, phi_map)
    assert counts["times"] <= 1, counts
    assert regularization.closest_time(spec, None, phi_map) == best
    assert round(best.t, 2) == 15.24  # tests/reference: the flow from 0 comes closest here
    with pytest.raises(TypeError, match="^give y only with a data matrix X"):
        regularization.closest_time(spec, y, phi_map)


def test_a_kernel_spectrum_is_one_eigenvalue_solve(monkeypatch, rng):
    """KernelFlow took 1.56 times one eigh at n = 5,000: its PSD check ran eigvalsh too. Now
    one eigh gives the decomposition and the check (benchmark K1 measures the time)."""
    calls = []
    for name in ("eigh", "eigvalsh", "eig", "eigvals", "svd"):
        fn = getattr(np.linalg, name)
        monkeypatch.setattr(np.linalg, name, lambda *a, _f=fn, _n=name, **k: (calls.append(_n),
                                                                             _f(*a, **k))[1])
    F = rng.standard_normal((30, 10))
    flow = KernelFlow(F @ F.T, rng.standard_normal(30))
    assert calls == ["eigh"] and flow.spectrum.rank == 10
    with pytest.raises(ValueError, match="^K must be positive semidefinite; got smallest "
                                         "eigenvalue -1"):
        KernelFlow(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2))


def test_the_crowds_predictive_needs_one_start(rng):
    X, y, phi0 = _problem(rng, 2, 4)
    path = Spectrum(X, y).path(Flow(), np.vstack([phi0, phi0]))
    assert path.params(1.0).shape == (2, 2)
    with pytest.raises(ValueError, match=r"^predictive needs one start phi0 of shape \(D,\)"):
        path.predictive(X, 1.0, np.eye(2))
    mean, var = Spectrum(X, y).path(Flow(), phi0).predictive(X, [0.0, 1.0], 0.5)
    np.testing.assert_allclose(var[0], 0.5 * np.sum(X * X, axis=0), rtol=1e-14)  # t = 0
    np.testing.assert_allclose(mean[0], phi0 @ X, rtol=1e-14)
