"""The feedback of the first chapters' coding exercises: it accepts correct answers (written
here in two different ways, and in float32), and names each typical mistake written here
independently of the check's table. What every check shares is tested in
test_checksharness.py."""

from __future__ import annotations

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


def float32(fn):
    """The same function computed in float32 throughout."""
    return lambda *args: fn(*[np.float32(a) if np.ndim(a) == 0 else a.astype(np.float32)
                              for a in args])


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
    assert check_loss(fn) == "Correct: the loss matches the reference on all 4 test problems."


def test_loss_in_float32_is_accepted_with_a_note():
    result = check_loss(float32(loss_ok_einsum))
    assert result.passed and "float32" in result, result


@pytest.mark.parametrize("words", list(LOSS_MISTAKES))
def test_loss_names_each_mistake(words):
    msg = check_loss(LOSS_MISTAKES[words])
    assert msg.startswith("Not yet:") and msg.mistake
    assert words in msg


def test_loss_transposed_on_square_data_only():
    """X @ phi happens to run on square data: the check names the mistake there too."""
    def transposed_when_square(X, y, phi):
        r = X @ phi - y if X.shape[0] == X.shape[1] else X.T @ phi - y
        return 0.5 * float(r @ r)

    msg = check_loss(transposed_when_square)
    assert msg.startswith("Not yet:") and "transposed" in msg
    assert "Seen on a square X" in msg and msg.score == 3


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
    assert check_residuals_at(fn) == (
        "Correct: residuals_at matches the reference on all 8 test problems.")


def test_residuals_in_float32_are_accepted_with_a_note():
    """eigh in float32: the answer is float32 and right to float32 precision only."""
    result = check_residuals_at(float32(residuals_ok))
    assert result.passed and "float32" in result, result


def test_residuals_from_eig_are_rejected_as_complex():
    """np.linalg.eig where eigh belongs can return complex numbers: rejected, with a hint."""
    def with_eig(X, y, phi0, t):
        lam, U = np.linalg.eig(X.T @ X)
        return (U @ (np.exp(-lam * t) * np.linalg.solve(U, X.T @ phi0 - y))).astype(complex)

    msg = check_residuals_at(with_eig)
    assert msg.startswith("Not yet:") and "complex" in msg and "eigh" in msg


@pytest.mark.parametrize("words", list(RES_MISTAKES))
def test_residuals_name_each_mistake(words):
    msg = check_residuals_at(RES_MISTAKES[words])
    assert msg.startswith("Not yet:") and msg.mistake
    assert words in msg


def test_residuals_x_xt_on_square_data_is_named():
    def outer_when_square(X, y, phi0, t):
        if X.shape[0] == X.shape[1]:
            return scipy.linalg.expm(-t * X @ X.T) @ (X.T @ phi0 - y)
        return residuals_ok(X, y, phi0, t)

    msg = check_residuals_at(outer_when_square)
    assert msg.startswith("Not yet:") and msg.mistake == "X X^T" and "transposed" in msg
    assert "Seen on a square X (D = I = 3), t = 0.3; a square X (D = I = 3), t = 2." in msg


def test_a_shape_error_suggests_a_transposed_x():
    msg = check_residuals_at(lambda X, y, phi0, t: (X @ X.T) @ (X.T @ phi0 - y))
    assert msg.startswith("Error:") and "ValueError" in msg and "transposed" in msg


def test_unrecognized_wrong_answer_is_not_accepted():
    msg = check_residuals_at(lambda *args: np.zeros(3) + 0.123)
    assert msg.startswith("Not yet:") and msg.mistake is None and not msg.passed


# ------------------------------------------------ mistakes named since issue 17
def loss_intercept_dropped(X, y, phi):  # the last row of X (the book's row of ones) left out
    r = X[:-1].T @ phi[:-1] - y
    return 0.5 * float(r @ r)


def residuals_from_zero(X, y, phi0, t):  # the start forgotten: -y decays
    return scipy.linalg.expm(-t * X.T @ X) @ -y


def residuals_masked(X, y, phi0, t):  # the zero modes of K masked: the null space dropped
    lam, U = np.linalg.eigh(X.T @ X)
    keep = lam > 1e-9 * lam.max()
    return U[:, keep] @ (np.exp(-lam[keep] * t) * (U[:, keep].T @ (X.T @ phi0 - y)))


def test_loss_names_a_dropped_intercept_row():
    result = check_loss(loss_intercept_dropped)
    assert result.mistake == "intercept row dropped" and "intercept" in result, result


@pytest.mark.parametrize("fn, mistake", [(residuals_from_zero, "start forgotten"),
                                         (residuals_masked, "null space dropped")],
                         ids=["start forgotten", "null space dropped"])
def test_residuals_name_a_forgotten_start_and_a_dropped_null_space(fn, mistake):
    result = check_residuals_at(fn)
    assert result.mistake == mistake and not result.passed, result
