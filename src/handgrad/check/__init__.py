"""Proving a hand gradient right: the checker, the shape rule, and the grid behind ``handgrad verify``.

- ``gradcheck``: a hand gradient against ``jax.grad``, ``jax.vjp``, ``jax.jvp`` and finite differences;
- ``localise``, ``localise_graphs``: which formula of a hand backward is wrong, node by node
  against autodiff, and which known mistake it matches;
- ``shapes``: d2l's exercise 1, a gradient has the shape of what it differentiates;
- ``grid``: every hand gradient of the library at a random point, the one grid that
  ``handgrad verify`` and the tests check; ``verify``: checking it, one row per case.
"""

# the checker
from handgrad.check.gradcheck import (
    check_gradients,
    GradientCheckError,
    KinkWarning,
    GradCheckReport,
    LeafReport,
    TOLERANCES,
    relative_error,
)

# localising a wrong derivation: the first wrong node, by name, and its known mistake
from handgrad.check.localise import (
    LocaliseReport,
    NodeCheck,
    DerivationError,
    raise_on_mismatch,
    MISTAKES,
)
from handgrad.check.localise_d2l import localise_mlp1
from handgrad.check.localise_graphs import localise_stack, localise_graph

# d2l's exercise 1: the shape of a gradient
from handgrad.check.shapes import gradient_shape, check_gradient_shapes, SHAPE_RULE

# the grid of every hand gradient, and handgrad verify
from handgrad.check.grid import Case, cases, select
from handgrad.check.verify import (
    VerifyRow,
    VerifyTable,
    iter_check_cases,
    check_cases,
    format_table,
)

__all__ = (
    "check_gradients",
    "GradientCheckError",
    "KinkWarning",
    "GradCheckReport",
    "LeafReport",
    "TOLERANCES",
    "relative_error",
    "localise_mlp1",
    "localise_stack",
    "localise_graph",
    "LocaliseReport",
    "NodeCheck",
    "DerivationError",
    "raise_on_mismatch",
    "MISTAKES",
    "gradient_shape",
    "check_gradient_shapes",
    "SHAPE_RULE",
    "Case",
    "cases",
    "select",
    "VerifyRow",
    "VerifyTable",
    "iter_check_cases",
    "check_cases",
    "format_table",
)
