"""Every figure's drawing code, the book's colour map and its style.

Drawing functions take an optional ``ax`` and return the ``Axes`` (or ``Figure``) they drew
on, so chapters can compose panels. Submodules group figures by chapter; this package
re-exports them.
"""

from .style import BOOK_CMAP, COLORS, apply_style, book_cmap, new_axes

__all__ = ["BOOK_CMAP", "COLORS", "apply_style", "book_cmap", "new_axes"]
from .flow import plot_data, plot_fits, plot_four_views, plot_loss  # noqa: E402,F401,I001
from .flow import plot_loss_modes, plot_outputs, plot_params, plot_residuals  # noqa: E402,F401,I001
from .bayes import plot_prediction_band, plot_prediction_grid, plot_spread_over_time  # noqa: E402,F401,I001
from .landscape import plot_descent_vs_flow, plot_eigen_directions, plot_fitted_lines  # noqa: E402,F401,I001
from .landscape import plot_landscape, plot_path  # noqa: E402,F401,I001
from .regularization import plot_distance_over_time, plot_filters, plot_ml_map  # noqa: E402,F401,I001
from .regularization import plot_paths_vs_ridge, plot_risk_ratio  # noqa: E402,F401,I001
from .explorer import FlowExplorer  # noqa: E402,F401,I001
