"""Every figure's drawing code, the book's colour map and its style.

Drawing functions take an optional ``ax`` and return the ``Axes`` (or ``Figure``) they drew
on, so chapters can compose panels. They draw results and compute nothing: a
:class:`~gflow_lib.flow.LinearFlow` (through its public methods), a loss surface or the
numbers of :mod:`gflow_lib.frames`, or arrays the caller computed with the core. Submodules
group figures by chapter; this package re-exports them."""

from .bayes import (
    plot_mode_variances,
    plot_prediction_band,
    plot_prediction_grid,
    plot_spread_over_time,
)
from .flow import (
    plot_data,
    plot_fits,
    plot_four_views,
    plot_loss,
    plot_loss_modes,
    plot_outputs,
    plot_params,
    plot_residuals,
)
from .kernels import (
    plot_eigenfunctions,
    plot_fits_over_time,
    plot_functions,
    plot_held_out_error,
    plot_kernel_gap,
    plot_mode_filters,
    plot_mode_residuals,
)
from .landscape import (
    plot_descent_vs_flow,
    plot_eigen_directions,
    plot_landscape,
    plot_modified_rates,
    plot_path,
)
from .ntk import (
    plot_function_curves,
    plot_kernel_maps,
    plot_loss_curves,
    plot_network_functions,
    plot_network_vs_linear,
    plot_ntk_band,
    plot_outputs_over_time,
    plot_residual_modes,
    plot_width_scaling,
)
from .regularization import (
    plot_distance_over_time,
    plot_filters,
    plot_ml_map,
    plot_paths_vs_ridge,
    plot_risk_ratio,
)
from .style import (
    BOOK_CMAP,
    CATEGORY_COLORS,
    COLORS,
    WIDE_WIDTH,
    apply_style,
    book_cmap,
    new_axes,
    point_colors,
    time_colors,
)

__all__ = [
    "BOOK_CMAP",
    "CATEGORY_COLORS",
    "COLORS",
    "WIDE_WIDTH",
    "apply_style",
    "book_cmap",
    "new_axes",
    "plot_data",
    "plot_descent_vs_flow",
    "plot_distance_over_time",
    "plot_eigen_directions",
    "plot_eigenfunctions",
    "plot_filters",
    "plot_fits",
    "plot_fits_over_time",
    "plot_four_views",
    "plot_function_curves",
    "plot_functions",
    "plot_held_out_error",
    "plot_kernel_gap",
    "plot_kernel_maps",
    "plot_landscape",
    "plot_loss",
    "plot_loss_curves",
    "plot_loss_modes",
    "plot_ml_map",
    "plot_mode_variances",
    "plot_modified_rates",
    "plot_mode_filters",
    "plot_mode_residuals",
    "plot_network_functions",
    "plot_network_vs_linear",
    "plot_ntk_band",
    "plot_outputs",
    "plot_outputs_over_time",
    "plot_params",
    "plot_path",
    "plot_paths_vs_ridge",
    "plot_prediction_band",
    "plot_prediction_grid",
    "plot_residual_modes",
    "plot_residuals",
    "plot_risk_ratio",
    "plot_spread_over_time",
    "plot_width_scaling",
    "point_colors",
    "time_colors",
]
