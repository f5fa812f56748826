"""gflow_lib: gradient flow for linear regression, in closed form.

The helper library of the book *Gradient Flow*. See the chapters under ``book/``.
The names below are the library's contract; submodules hold the rest (``data``,
``landscape``, ``regularization``, ``features``, ``numerics``, ``interactive``, ``plotting``,
``checks``).
"""

from . import data, features, landscape, plotting  # noqa: F401 (submodules as attributes)
from .bayes import (
    ensemble_params,
    posterior_distribution,
    posterior_predictive,
    prediction_distribution,
)
from .descent import (
    descent_closed_form,
    gradient_descent,
    modified_flow_params,
    modified_loss,
    stability_thresholds,
)
from .flow import LinearFlow, gram_eigen, mode_factors
from .regression import map_params, ml_params, ridge_params

__all__ = [
    "LinearFlow",
    "descent_closed_form",
    "ensemble_params",
    "gradient_descent",
    "gram_eigen",
    "map_params",
    "ml_params",
    "mode_factors",
    "modified_flow_params",
    "modified_loss",
    "posterior_distribution",
    "posterior_predictive",
    "prediction_distribution",
    "ridge_params",
    "stability_thresholds",
]
__version__ = "0.1.0"
