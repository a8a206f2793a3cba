"""handgrad: gradient descent and backprop as pure JAX functions, every hand gradient
proven equal to autodiff.

The top level holds what a reader of the two texts needs; the rest lives in its subpackage:
``handgrad.models``, ``handgrad.backprop``, ``handgrad.check``, ``handgrad.optim``,
``handgrad.exercises``, ``handgrad.data`` and ``handgrad.training``.

>>> import handgrad as hg
>>> hg.mlp1_init is hg.models.mlp1_init
True

Names are imported on first use (PEP 562), so ``import handgrad`` costs nothing until a
name is used, and the ``handgrad`` command can take charge of Ctrl-C before JAX loads.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The subpackages, one role each: hg.models, hg.backprop, hg.check, hg.optim, hg.exercises, …
SUBPACKAGES = ("models", "backprop", "check", "optim", "exercises", "data", "training")

_API = {
    # Models G(x, w), costs C(y, ȳ), and the objectives built on them: L(x, y, w), L(S, w), J = L + s
    "models": (
        "linear", "linear_objective", "mlp", "mlp_init", "mlp_objective", "mlp1", "mlp1_init",
        "mlp1_objective", "mynet", "mynet_init", "squared_error", "softmax_cross_entropy",
        "per_sample_loss", "average_loss", "l2_penalty",
    ),
    # Hand-derived gradients: d2l's formulas, the linear model's, the lecture's module stacks
    "backprop": (
        "linear_hand_grad", "mlp1_forward", "mlp1_backward", "mlp1_hand_grads",
        "mlp1_hand_value_and_grad", "mlp_hand_grads", "mlp_hand_value_and_grad",
        "mynet_hand_grads", "stack_forward", "stack_backward",
    ),
    # Checking a hand gradient against grad, vjp, jvp and finite differences
    "check": ("check_gradients", "GradientCheckError"),
    # Gradient descent: gradient sources, update rules, samplers, the compiled loop
    "optim": (
        "autodiff", "finite_difference", "random_directions", "gd", "preconditioned_gd",
        "full_batch", "per_sample", "minibatch", "run", "run_gd", "run_sgd",
    ),
    # Training from a config, on offline data
    "data": ("load_dataset",),
    "training": ("load_config", "train"),
}  # fmt: skip

__all__ = tuple(name for names in _API.values() for name in names)
_HOME = {name: sub for sub, names in _API.items() for name in names}


def __getattr__(name: str) -> Any:
    if name in SUBPACKAGES:
        return importlib.import_module(f"handgrad.{name}")
    if name in _HOME:
        value = getattr(importlib.import_module(f"handgrad.{_HOME[name]}"), name)
        if isinstance(value, ModuleType):  # a re-imported submodule of the same name (models.mlp)
            value = getattr(value, name)  # shadows its function on the package: take the function
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module 'handgrad' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *SUBPACKAGES})


# fmt: off
if TYPE_CHECKING:  # the same names, for type checkers and editors (a test keeps both equal)
    from handgrad import backprop, check, data, exercises, models, optim, training
    from handgrad.backprop import (
        linear_hand_grad, mlp1_forward, mlp1_backward, mlp1_hand_grads,
        mlp1_hand_value_and_grad, mlp_hand_grads, mlp_hand_value_and_grad, mynet_hand_grads,
        stack_forward, stack_backward,
    )
    from handgrad.check import check_gradients, GradientCheckError
    from handgrad.data import load_dataset
    from handgrad.models import (
        linear, linear_objective, mlp, mlp_init, mlp_objective, mlp1, mlp1_init, mlp1_objective,
        mynet, mynet_init, squared_error, softmax_cross_entropy, per_sample_loss, average_loss,
        l2_penalty,
    )
    from handgrad.optim import (
        autodiff, finite_difference, random_directions, gd, preconditioned_gd, full_batch,
        per_sample, minibatch, run, run_gd, run_sgd,
    )
    from handgrad.training import load_config, train
# fmt: on
