"""The feedback of the first chapters' coding exercises: it accepts correct answers (written
here in two different ways), names each typical mistake, and never shows expected numbers."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.linalg

from gflow_lib.checks import check_loss, check_residuals_at


# ------------------------------------------------------------------------------- loss
def loss_ok(X, y, phi):
    r = X.T @ phi - y
    return 0.5 * float(r @ r)


def loss_ok_einsum(X, y, phi):
    return 0.5 * np.sum((np.einsum("di,d->i", X, phi) - y) ** 2)


LOSS_MISTAKES = {
    "half": lambda X, y, phi: float(np.sum((X.T @ phi - y) ** 2)),
    "averaged": lambda X, y, phi: 0.5 * float(np.mean((X.T @ phi - y) ** 2)),
    "mean of the squared": lambda X, y, phi: float(np.mean((X.T @ phi - y) ** 2)),
    "not squared": lambda X, y, phi: 0.5 * float(np.linalg.norm(X.T @ phi - y)),
    "one value per data point": lambda X, y, phi: 0.5 * (X.T @ phi - y) ** 2,
    "transposed": lambda X, y, phi: 0.5 * float(np.sum((X @ phi - y) ** 2)),
}


@pytest.mark.parametrize("fn", [loss_ok, loss_ok_einsum])
def test_loss_accepts_correct_answers(fn):
    assert check_loss(fn).startswith("Correct:")


@pytest.mark.parametrize("words", list(LOSS_MISTAKES))
def test_loss_names_each_mistake(words):
    msg = check_loss(LOSS_MISTAKES[words])
    assert msg.startswith("Not yet:")
    assert words in msg


def test_loss_transposed_on_square_data_only():
    """X @ phi happens to run on square data: the check names the mistake there too."""
    def transposed_when_square(X, y, phi):
        M = X if X.shape[0] == X.shape[1] else X.T
        r = M @ phi - y if X.shape[0] == X.shape[1] else X.T @ phi - y
        return 0.5 * float(r @ r)

    msg = check_loss(transposed_when_square)
    assert msg.startswith("Not yet:") and "problem(s) [2]" in msg and "transposed" in msg


# -------------------------------------------------------------------------- residuals
def residuals_ok(X, y, phi0, t):
    lam, U = np.linalg.eigh(X.T @ X)
    return U @ (np.exp(-lam * t) * (U.T @ (X.T @ phi0 - y)))


def residuals_ok_expm(X, y, phi0, t):
    return scipy.linalg.expm(-t * X.T @ X) @ (X.T @ phi0 - y)


def _res(X, y, phi0, t, scale=1.0):
    return scipy.linalg.expm(-scale * t * X.T @ X) @ (X.T @ phi0 - y)


RES_MISTAKES = {
    "wrong sign": lambda X, y, phi0, t: _res(X, y, phi0, t, scale=-1.0),
    "each entry": lambda X, y, phi0, t: np.exp(-t * X.T @ X) @ (X.T @ phi0 - y),
    "outputs f(t)": lambda X, y, phi0, t: y + _res(X, y, phi0, t),
    "flipped": lambda X, y, phi0, t: -_res(X, y, phi0, t),
    "factor 2": lambda X, y, phi0, t: _res(X, y, phi0, t, scale=2.0),
    "factor 1/2": lambda X, y, phi0, t: _res(X, y, phi0, t, scale=0.5),
    "does not depend on t": lambda X, y, phi0, t: _res(X, y, phi0, 1.0),
    "transposed": lambda X, y, phi0, t: scipy.linalg.expm(-t * X @ X.T) @ (X.T @ phi0 - y),
}


@pytest.mark.parametrize("fn", [residuals_ok, residuals_ok_expm])
def test_residuals_accept_correct_answers(fn):
    assert check_residuals_at(fn).startswith("Correct:")


@pytest.mark.parametrize("words", list(RES_MISTAKES))
def test_residuals_name_each_mistake(words):
    msg = check_residuals_at(RES_MISTAKES[words])
    assert msg.startswith("Not yet:")
    assert words in msg


def test_residuals_x_xt_on_square_data_is_named():
    def outer_when_square(X, y, phi0, t):
        if X.shape[0] == X.shape[1]:
            return scipy.linalg.expm(-t * X @ X.T) @ (X.T @ phi0 - y)
        return residuals_ok(X, y, phi0, t)

    msg = check_residuals_at(outer_when_square)
    assert msg.startswith("Not yet:") and "problem(s) [3, 4]" in msg and "transposed" in msg


# ------------------------------------------------------------------------------ common
@pytest.mark.parametrize("check", [check_loss, check_residuals_at])
def test_stub_and_non_callable(check):
    def stub(*args):
        raise NotImplementedError("write me")

    assert "NotImplementedError" in check(stub)
    assert "pass your function itself" in check(0.5)


@pytest.mark.parametrize("check", [check_loss, check_residuals_at])
def test_unrecognized_wrong_answer_is_not_accepted(check):
    msg = check(lambda *args: np.zeros(3) + 0.123)
    assert msg.startswith("Not yet:")


def test_shape_mismatch_is_reported():
    msg = check_residuals_at(lambda X, y, phi0, t: residuals_ok(X, y, phi0, t)[:1])
    assert msg.startswith("Not yet:") and "shape" in msg


def test_feedback_never_reveals_numbers():
    msgs = [check_loss(fn) for fn in [loss_ok, *LOSS_MISTAKES.values()]]
    msgs += [check_residuals_at(fn) for fn in [residuals_ok, *RES_MISTAKES.values()]]
    for msg in msgs:
        assert not re.search(r"\d\.\d", msg), msg  # no decimal numbers


def test_learner_cannot_change_the_test_data():
    def mutating(X, y, phi0, t):
        out = residuals_ok(X, y, phi0, t)
        X *= 0.0
        return out

    assert check_residuals_at(mutating).startswith("Correct:")
