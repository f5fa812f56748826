"""What the exercise checks share."""

from __future__ import annotations

import numpy as np


def close(a, b, rtol=1e-6, atol=1e-9) -> bool:
    """Same shape and equal within tolerances: a learner's result against a reference."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
