"""gflow_lib: gradient flow for linear regression, in closed form; the library of the book
*Gradient Flow* (chapters under ``book/``).

The names below are the library's contract; submodules hold the rest. ``import gflow_lib``
needs numpy and scipy only: ``plotting``, ``widgets``, ``checks``, ``frames`` and other
``numerics`` are imported on first use."""

import importlib

from . import (  # noqa: F401
    data,
    deep_linear,
    diagonal,
    features,
    landscape,
    regularization,
    spectrum,
)
from .bayes import (
    ensemble_params,
    posterior_distribution,
    posterior_predictive,
    prediction_distribution,
)
from .deep_linear import deep_linear_half_times, deep_linear_product, deep_linear_strength
from .descent import (
    descent_closed_form,
    gradient_descent,
    modified_flow_params,
    modified_loss,
    stability_thresholds,
)
from .diagonal import diagonal_network_limit
from .flow import KernelFlow, LinearFlow, gram_eigen, mode_factors
from .momentum import (
    HeavyBall,
    HeavyBallFlow,
    Nesterov,
    NesterovFlow,
    heavy_ball_stable,
    heavy_ball_threshold,
    optimal_descent,
    optimal_heavy_ball,
)
from .regression import map_params, ml_params, ridge_params
from .sgd import (
    sgd_moments,
    sgd_ou_covariance,
    sgd_simulate,
    sgd_stability_threshold,
    sgd_stationary_covariance,
)
from .spectrum import (
    Descent,
    ExactModifiedFlow,
    Flow,
    KernelSpectrum,
    ModifiedFlow,
    Ridge,
    Spectrum,
)

__all__ = ["Descent", "ExactModifiedFlow", "Flow", "HeavyBall", "HeavyBallFlow", "KernelFlow",
           "KernelSpectrum", "LinearFlow", "ModifiedFlow", "Nesterov", "NesterovFlow", "Ridge",
           "Spectrum", "deep_linear_half_times", "deep_linear_product", "deep_linear_strength",
           "descent_closed_form", "diagonal_network_limit",
           "ensemble_params", "gradient_descent", "gram_eigen", "heavy_ball_stable",
           "heavy_ball_threshold", "map_params", "ml_params", "mode_factors",
           "modified_flow_params", "modified_loss", "optimal_descent", "optimal_heavy_ball",
           "posterior_distribution",
           "posterior_predictive", "prediction_distribution", "ridge_params",
           "sgd_moments", "sgd_ou_covariance", "sgd_simulate", "sgd_stability_threshold",
           "sgd_stationary_covariance", "stability_thresholds"]
__version__ = "0.2.0"

_LAZY = ("plotting", "checks", "frames", "numerics", "kernels", "network", "ntk",
         "widgets")


def __getattr__(name):
    """Submodules that load matplotlib (or are rarely used) are imported on first access."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'gflow_lib' has no attribute {name!r}")
