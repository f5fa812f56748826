"""Feedback for the coding exercises: each check takes the learner's function, runs it on a few
small problems and returns a :class:`CheckResult`, a ``str`` that starts with "Correct:",
"Not yet:" or "Error:", says what is right or names the likely mistake, and never reveals the
expected numbers. Introduced in the exercises at the end of each chapter.

Every check is a table (cases, the library's answer as the reference, named mistakes) run by
one harness, :func:`run_check`. Submodules hold one chapter's checks each, re-exported here."""

from .basics import check_loss, check_residuals_at
from .bayes import check_predictive_variance
from .deep_linear import check_mode_strength
from .explorer import check_frame_losses
from .function_space import check_kernel_predict
from .harness import Case, Check, CheckResult, Mistake, run_check
from .landscape import check_gd_step
from .ml_map import check_map_estimate
from .momentum import check_heavy_ball_gain
from .ntk import check_empirical_ntk, check_last_layer
from .sgd import check_sgd_covariance_step

__all__ = [
    "Case",
    "Check",
    "CheckResult",
    "Mistake",
    "check_empirical_ntk",
    "check_frame_losses",
    "check_gd_step",
    "check_heavy_ball_gain",
    "check_kernel_predict",
    "check_last_layer",
    "check_loss",
    "check_map_estimate",
    "check_mode_strength",
    "check_predictive_variance",
    "check_residuals_at",
    "check_sgd_covariance_step",
    "run_check",
]
