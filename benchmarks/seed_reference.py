"""A faithful re-implementation of the seed notebook's computations, loops and all.

It follows the notebook step by step: one ``inv(X X^T)``, then for every time point one
``expm`` of the I x I kernel for the outputs and parameters, and one more ``expm`` per time
point for the predictive mean and variance. It exists only as the baseline of benchmark P1.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm


def seed_workload(X, y, phi0, t_all, x_predict, sigma_sq_p=2.0):
    """The notebook's loops. X (D, I), y (I,), phi0 (D,), t_all (T,), x_predict (D, M).

    Returns a dict with ``params`` (T, D), ``outputs`` (T, I), ``loss`` (T,),
    ``mean`` (T, M) and ``var`` (T, M).
    """
    D, I = X.shape
    y = y.reshape(I, 1)
    phi_0 = phi0.reshape(D, 1)
    f_0 = X.T @ phi_0
    nT = t_all.shape[0]
    XXTInvX = np.linalg.inv(X @ X.T) @ X
    f_all = np.zeros((I, nT))
    f_minus_y_all = np.zeros((I, nT))
    phi_t_all = np.zeros((D, nT))
    for t in range(nT):
        f = y + expm(-X.T @ X * t_all[t]) @ (f_0 - y)
        f_all[:, t : t + 1] = f
        f_minus_y_all[:, t : t + 1] = f - y
        E = expm(-X.T @ X * t_all[t])
        phi_t_all[:, t : t + 1] = phi_0 - XXTInvX @ (np.identity(I) - E) @ (f_0 - y)
    loss = 0.5 * np.sum(f_minus_y_all * f_minus_y_all, axis=0)

    nX = x_predict.shape[1]
    predict_mean_all = np.zeros((nT, nX))
    predict_var_all = np.zeros((nT, nX))
    cov_init = sigma_sq_p * np.identity(D)
    for t in range(nT):
        a = x_predict.T @ (XXTInvX @ (np.identity(I) - expm(-X.T @ X * t_all[t])) @ y)
        b = x_predict.T - x_predict.T @ XXTInvX @ (np.identity(I) - expm(-X.T @ X * t_all[t])) @ X.T
        predict_mean_all[t : t + 1, :] = a.T
        predict_cov = b @ cov_init @ b.T
        predict_var_all[t : t + 1, :] = np.reshape(np.diag(predict_cov), (1, nX))
    return {
        "params": phi_t_all.T,
        "outputs": f_all.T,
        "loss": loss,
        "mean": predict_mean_all,
        "var": predict_var_all,
    }
