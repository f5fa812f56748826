"""gflow_lib: gradient flow for linear regression, in closed form.

The helper library of the book *Gradient Flow*. See the chapters under ``book/``.
"""

from .bayes import prediction_distribution
from .descent import gradient_descent
from .flow import LinearFlow, gram_eigen, mode_factors
from .regression import map_params, ml_params, ridge_params

__all__ = [
    "LinearFlow",
    "gradient_descent",
    "gram_eigen",
    "map_params",
    "ml_params",
    "mode_factors",
    "prediction_distribution",
    "ridge_params",
]
__version__ = "0.1.0"

from . import data, landscape, plotting  # noqa: E402,F401
from . import features  # noqa: E402,F401,I001
from .bayes import ensemble_params, posterior_distribution, posterior_predictive  # noqa: E402,F401,I001
from .descent import descent_closed_form, modified_flow_params  # noqa: E402,F401,I001
from .descent import modified_loss, stability_thresholds  # noqa: E402,F401,I001
