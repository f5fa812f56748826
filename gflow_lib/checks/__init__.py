"""Feedback for the coding exercises: each check takes the learner's function or result and
returns a message that says what is right or names the likely mistake, without revealing the
expected numbers. Introduced in the exercises at the end of each chapter.

Submodules hold the checks of one chapter each; they are re-exported here.
"""

from .basics import check_loss, check_residuals_at
from .bayes import check_predictive_variance
from .explorer import check_frame_losses
from .landscape import check_gd_step
from .ml_map import check_map_estimate

__all__ = [
    "check_frame_losses",
    "check_gd_step",
    "check_loss",
    "check_map_estimate",
    "check_predictive_variance",
    "check_residuals_at",
]
