"""The grid of every hand gradient in the library, each at a random point: one place for it.

Each ``Case`` pairs an objective with its hand gradient, its arguments and how to label it:
d2l's MLP over every activation, loss, bias setting and dtype; the lecture's linear model; every
module's VJP; the deep MLP at two depths; ``mynet``. ``handgrad verify`` and the test suite
check exactly this grid (``handgrad.check.verify``). The points are drawn with NumPy: eager
``jax.random`` would compile an XLA program for every new shape, seconds in all.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from handgrad.backprop.d2l import mlp1_forward_batch, mlp1_hand_grads
from handgrad.backprop.linear import linear_hand_grad
from handgrad.backprop.mlp import mlp_forward_batch, mlp_hand_grads
from handgrad.backprop.modules import Module, activation_module, flatten_module, linear_module
from handgrad.backprop.mynet import mynet_hand_grads
from handgrad.models.activations import ACTIVATIONS, KINKED_ACTIVATIONS
from handgrad.models.costs import COSTS, softmax_cross_entropy
from handgrad.models.linear import linear_objective
from handgrad.models.mlp import mlp_objective
from handgrad.models.mlp1 import mlp1_objective
from handgrad.models.mynet import IMAGE_SHAPE, MYNET_WIDTHS, mynet

DTYPES = ("float32", "float64")


def _rng(seed: int, family: int, i: int = 0) -> np.random.Generator:
    """The check points are drawn with NumPy: eager jax.random would compile an XLA
    program for every new shape, seconds in all before a single gradient is checked."""
    return np.random.default_rng([seed, family, i])


def _normal(rng: np.random.Generator, shape, scale: float = 1.0) -> jax.Array:
    return jnp.asarray(scale * rng.standard_normal(shape), jnp.float64)


def _layers(rng: np.random.Generator, widths, bias: bool) -> list[dict]:
    """Layers {"W": (n_out, n_in), "b": (n_out,)} drawn like nn.Linear: U(±1/√n_in)."""
    layers = []
    for n_in, n_out in itertools.pairwise(widths):
        bound = 1 / n_in**0.5
        layer = {"W": jnp.asarray(rng.uniform(-bound, bound, (n_out, n_in)), jnp.float64)}
        if bias:
            layer["b"] = jnp.asarray(rng.uniform(-bound, bound, (n_out,)), jnp.float64)
        layers.append(layer)
    return layers


# The hand gradients are checked as training runs them: compiled.
_mlp1_hand_grads = jax.jit(mlp1_hand_grads, static_argnames=("activation", "loss"))
_linear_hand_grad = jax.jit(linear_hand_grad)
_mlp_hand_grads = jax.jit(mlp_hand_grads, static_argnames=("activation", "loss"))
_mynet_hand_grads = jax.jit(mynet_hand_grads)


class Case(NamedTuple):
    """One objective/hand-gradient pair at one point, and how to label it."""

    model: str
    activation: str
    loss: str
    bias: bool
    dtype: str
    objective: Callable[..., jax.Array]
    hand_grad: Callable[..., Any]
    params: Any
    args: tuple
    kwargs: dict
    kink_inputs: Callable[..., Any] | None = None


def _mlp1_preactivations(params, X, Y, *, lam, activation, loss):
    return mlp1_forward_batch(params, X, activation=activation).z


def mlp1_cases(seed: int, d=5, h=7, q=3, P=8, lam=0.1) -> Iterator[Case]:
    """d2l's MLP over every activation, loss, bias setting and dtype."""
    grid = itertools.product(ACTIVATIONS, COSTS, (False, True), DTYPES)
    for i, (activation, loss, bias, dtype) in enumerate(grid):
        rng = _rng(seed, 2, i)
        params = {"W1": _normal(rng, (h, d), d**-0.5), "W2": _normal(rng, (q, h), h**-0.5)}
        if bias:  # a zero bias would leave that code path untested
            params["b1"] = _normal(rng, (h,), 0.1)
        X = _normal(rng, (P, d))
        if loss == "softmax_cross_entropy":
            Y = jnp.asarray(rng.integers(0, q, P), jnp.int32)
        else:
            Y = _normal(rng, (P, q))
        yield Case(
            "mlp1", activation, loss, bias, dtype, mlp1_objective, _mlp1_hand_grads, params,
            (X, Y), {"lam": lam, "activation": activation, "loss": loss},
            _mlp1_preactivations if activation in KINKED_ACTIVATIONS else None,
        )  # fmt: skip


def linear_cases(seed: int, d=6, q=3, P=9) -> Iterator[Case]:
    """The lecture's linear model under squared error, scalar and vector outputs."""
    for outputs, dtype in itertools.product((None, q), DTYPES):
        rng = _rng(seed, 1, outputs or 0)
        w = _normal(rng, (d,) if outputs is None else (outputs, d), d**-0.5)
        X = _normal(rng, (P, d))
        Y = _normal(rng, (P,) if outputs is None else (P, outputs))
        model = "linear" if outputs is None else f"linear-q{q}"
        yield Case(
            model, "-", "squared_error", False, dtype, linear_objective, _linear_hand_grad, w,
            (X, Y), {},
        )  # fmt: skip


def _module_objective(p, u, *, module):
    return jnp.sum(u * module.forward(p["z"], p["w"]))


def _module_hand_grad(p, u, *, module):
    dz, dw = module.vjp(p["z"], p["w"], u)
    return {"w": dw, "z": dz}


def _module_kinks(p, u, *, module):
    return p["z"]


def module_cases(seed: int) -> Iterator[Case]:
    """Each module's VJP, through J = ⟨u, f(z, w)⟩ whose gradient is exactly the VJP at u."""
    modules: list[tuple[Module, tuple, dict]] = []
    for i, bias in enumerate((False, True)):
        rng = _rng(seed, 3, i)
        w = {"W": _normal(rng, (4, 6))}
        if bias:
            w["b"] = _normal(rng, (4,))
        modules.append((linear_module(bias), (6,), w))
    modules += [(activation_module(name), (6,), {}) for name in ACTIVATIONS]
    modules.append((flatten_module((3, 4, 5)), (3, 4, 5), {}))
    for i, (module, shape, w) in enumerate(modules):
        rng = _rng(seed, 3, 100 + i)
        z = _normal(rng, (5, *shape))  # a batch of five samples
        u = _normal(rng, jax.eval_shape(module.forward, z, w).shape)
        kinked = module.name in KINKED_ACTIVATIONS
        activation = module.name if module.name in ACTIVATIONS else "-"
        yield Case(
            f"module:{module.name}", activation, "-", "b" in w, "float64", _module_objective,
            _module_hand_grad, {"z": z, "w": w}, (u,), {"module": module},
            _module_kinks if kinked else None,
        )  # fmt: skip


def _mlp_preactivations(params, X, Y, *, activation, loss, lam):
    return mlp_forward_batch(params, X, activation=activation)[1:-1:2]


def mlp_cases(seed: int, P=8) -> Iterator[Case]:
    """The deep MLP at depths 2 and 4, every loss, with and without biases; every activation."""
    grid = [(depth, act, loss, bias, "float64") for depth, act, loss, bias in itertools.product(
        (2, 4), ("relu", "tanh", "sigmoid"), COSTS, (False, True))]  # fmt: skip
    grid += [(3, "relu", loss, True, "float32") for loss in COSTS]
    others = [a for a in ACTIVATIONS if a not in ("relu", "tanh", "sigmoid")]
    grid += [(2, act, loss, True, "float64") for act, loss in itertools.product(others, COSTS)]
    for i, (depth, activation, loss, bias, dtype) in enumerate(grid):
        rng = _rng(seed, 4, i)
        widths = [5] + [6 - k % 2 for k in range(depth - 1)] + [3]
        params = _layers(rng, widths, bias)
        X = _normal(rng, (P, 5))
        if loss == "softmax_cross_entropy":
            Y = jnp.asarray(rng.integers(0, 3, P), jnp.int32)
        else:
            Y = _normal(rng, (P, 3))
        yield Case(
            f"mlp-{depth}", activation, loss, bias, dtype, mlp_objective, _mlp_hand_grads,
            params, (X, Y), {"activation": activation, "loss": loss, "lam": 0.1},
            _mlp_preactivations if activation in KINKED_ACTIVATIONS else None,
        )  # fmt: skip


def _mynet_objective(params, image, label):
    return softmax_cross_entropy(label, mynet(image, params))


def mynet_cases(seed: int) -> Iterator[Case]:
    """The lecture's mynet, flatten included, in both dtypes."""
    rng = _rng(seed, 5)
    params = _layers(rng, MYNET_WIDTHS, bias=True)
    image = _normal(rng, IMAGE_SHAPE)
    for dtype in DTYPES:
        yield Case(
            "mynet", "relu", "softmax_cross_entropy", True, dtype, _mynet_objective,
            _mynet_hand_grads, params, (image, jnp.asarray(3)), {},
        )  # fmt: skip


def cases(seed: int = 0) -> list[Case]:
    """Every case of the grid, its arrays in float64 (``check_gradients`` casts each to the
    case's dtype): run them with ``check_cases``, print the rows with ``format_table``, pick
    some with ``select``. Each ``Case`` holds labels (model, activation, loss, bias, dtype),
    the objective and the hand gradient, and the point: params, args, kwargs."""
    with jax.enable_x64(True):
        return [
            *linear_cases(seed),
            *mlp1_cases(seed),
            *module_cases(seed),
            *mlp_cases(seed),
            *mynet_cases(seed),
        ]


def _matches(label: str, value: str) -> bool:
    """A label reads the value, or begins with it and then "-" or ":" (mlp-2, module:relu)."""
    return label == value or (value != "" and label.startswith(value) and label[len(value)] in "-:")


def select(grid: list[Case], **labels: str | None) -> list[Case]:
    """The cases whose labels (model, activation, loss, dtype) match the given ones.

    A label matches a value it reads, or one it begins with followed by "-" or ":", as the
    table's column shows it: "linear" matches linear and linear-q3 (not module:linear),
    "mlp" matches mlp-2, mlp-3 and mlp-4 (not mlp1), "module" every module:NAME, "relu"
    only relu (not leaky_relu). A label given as None matches every case; "a,b" matches
    either value. Raises ``ValueError`` for an empty value (``""``, ``"relu,"``) and for a
    value that matches no case, offering the closest and listing the values there are.
    """
    from handgrad.names import did_you_mean, empty

    for field, wanted in labels.items():
        if wanted is None:
            continue
        there = sorted({str(getattr(case, field)) for case in grid})
        values = [w.strip() for w in wanted.split(",")]
        for value in values:
            refused = empty(value, f"{field} in {wanted!r}", f"one of {', '.join(there)}")
            if refused:
                raise ValueError(refused)
            if not any(_matches(label, value) for label in there):
                heads = {label.split(":")[0].split("-")[0] for label in there} - {""} | set(there)
                close = did_you_mean(value, sorted(heads))
                raise ValueError(f"no case has {field} {value!r}{close} (choose from {there})")
        grid = [c for c in grid if any(_matches(str(getattr(c, field)), v) for v in values)]
    return grid
