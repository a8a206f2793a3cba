"""The graph at the level of the text: each named scope of the traced code is one operator.

The library's models name each stage of J as d2l does with ``jax.named_scope("z=×")``:
the variable the stage writes, "=", the operator the text draws (``handgrad.models.mlp``
names z, h, o, ``average_loss`` L = l, ``l2_penalty`` s = λ/2‖·‖², the objective J = +).
A jaxpr keeps that name in each equation's ``source_info.name_stack``, so the equations
of one scope (under ``vmap``, ``jit`` or a ``custom_jvp`` call alike) collapse into one
operator whose outputs take the scope's name:

- a stage's outputs read later are its variable ("z"); outputs only the backward pass
  reads (what ``jax.grad`` keeps, φ′'s mask) are its operator primed ("φ′");
- under ``jax.grad`` the transposed scope (name stack ``transpose(jvp(…))``) is one
  operator "×ᵀ" on the backward side; a cotangent it writes for the stage V that reads it
  is named "∂J/∂V", a part of a parameter's gradient d2l's "∂s/∂W" (the transposed
  penalty is drawn "(λ/2‖·‖²)ᵀ", so its ᵀ reads as a transpose, not an exponent);
- an equation in no scope stays one operator, as in the jaxpr; a reshape or broadcast
  outside any scope is not drawn (its output is its input), as the text never draws one.

Parameter names take the text's superscripts: ``W1`` and ``params[0].W`` are "W⁽¹⁾".

>>> import jax, jax.numpy as jnp
>>> def f(w, x):
...     with jax.named_scope("y=×"):
...         y = w * x
...     return jnp.sum(y)
>>> pretty_name("dJ/dW2"), scope_of(jax.make_jaxpr(f)(1.0, 2.0).jaxpr.eqns[0])
('∂J/∂W⁽²⁾', StageScope(var='y', op='×', transposed=False))
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

DETAILS = ("text", "jaxpr")
# shape-only operations that the text never draws, when no scope holds them
_SHAPE_ONLY = {"broadcast_in_dim", "reshape", "squeeze", "expand_dims", "convert_element_type"}
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class StageScope(NamedTuple):
    """A named scope "var=op": the variable it writes, its operator, backward or not."""

    var: str
    op: str
    transposed: bool


def check_detail(detail: str) -> str:
    """``detail`` if it is "text" or "jaxpr"; ``ValueError`` naming it otherwise."""
    if detail not in DETAILS:
        raise ValueError(f"unknown detail {detail!r}; expected one of {list(DETAILS)}")
    return detail


def scope_of(eqn) -> StageScope | None:
    """The innermost named scope of an equation, or None when it is in none.

    "z=×" is variable z with operator ×; a scope without "=" names both.
    """
    stack = getattr(eqn.source_info.name_stack, "stack", ())
    names = [s.name for s in stack if type(s).__name__ == "Scope"]
    if not names:
        return None
    var, _, op = names[-1].partition("=")
    transposed = any(type(s).__name__ == "Transform" and s.name == "transpose" for s in stack)
    return StageScope(var, op or var, transposed)


def pretty_name(label: str) -> str:
    """The text's spelling: W1 → W⁽¹⁾, params[0].W → W⁽¹⁾, dJ/dW1 → ∂J/∂W⁽¹⁾."""
    if label.startswith("dJ/d"):
        return "∂J/∂" + pretty_name(label[4:])
    layer = re.fullmatch(r"\w*\[(\d+)\]\.([Wb])", label)
    if layer:
        return f"{layer[2]}⁽{str(int(layer[1]) + 1).translate(_SUP)}⁾"
    named = re.fullmatch(r"([Wb])(\d+)", label)
    return f"{named[1]}⁽{named[2].translate(_SUP)}⁾" if named else label


def is_shape_only(eqn, n_read: int) -> bool:
    """An unscoped reshape or broadcast of one variable: drawn as that variable itself."""
    return (
        eqn.primitive.name in _SHAPE_ONLY
        and n_read == 1
        and len(eqn.outvars) == 1
        and scope_of(eqn) is None
    )


def group_equations(eqns: list) -> list[tuple[StageScope | None, list]]:
    """Runs of consecutive equations in the same scope, each run one operator.

    An equation in no scope is a run of its own.
    """
    groups: list[tuple[StageScope | None, list]] = []
    for eqn in eqns:
        scope = scope_of(eqn)
        if scope is not None and groups and groups[-1][0] == scope:
            groups[-1][1].append(eqn)
        else:
            groups.append((scope, [eqn]))
    return groups


def dims(shape: str) -> str:
    """ "f64[3,4]" as the text writes a shape, "3×4"; a scalar "" (its dtype is dropped)."""
    inside = shape[shape.find("[") + 1 : shape.rfind("]")] if "[" in shape else ""
    return "×".join(part for part in inside.split(",") if part)


def text_shape(shape: str, batch: int | None) -> str:
    """An intermediate's type in the text's convention, whatever axis order ``vmap`` left.

    For one sample (``batch`` None) a vector of d entries is "f32[d]", as x ∈ ℝ^d is:
    the axes of size 1 that ``vmap`` over a batch of one adds are dropped ("f32[3,1]" and
    "f32[1,3]" are both "f32[3]"). For a batch of P rows the axis of size P comes first,
    row-major as in code: "f32[3,5]" is "f32[5,3]" when P = 5.

    >>> text_shape("f32[3,1]", None), text_shape("f32[2,5]", 5), text_shape("f32[]", None)
    ('f32[3]', 'f32[5,2]', 'f32[]')
    """
    if "[" not in shape:
        return shape
    head, inside = shape[: shape.find("[")], shape[shape.find("[") + 1 : shape.rfind("]")]
    axes = [int(a) for a in inside.split(",") if a]
    if batch is None and axes:
        axes = [a for a in axes if a != 1] or [1]
    elif batch in axes:
        axes.insert(0, axes.pop(axes.index(batch)))
    return f"{head}[{','.join(map(str, axes))}]"


def cotangent_name(var: str, shape: str, reader: StageScope | None, forward: dict) -> str:
    """The name of a value one transposed stage writes and another reads.

    ``forward`` maps a stage's variable to (its output's shape, [(input label, shape)]).
    The cotangent of the reader's own variable is "∂J/∂V"; otherwise, the part of the
    gradient of an input W of the writer ``var`` that has the same shape, d2l's "∂s/∂W"
    (∂s/∂W⁽²⁾ = λW⁽²⁾, which ∂J/∂W⁽²⁾ adds).
    """
    if reader is not None and reader.transposed and forward.get(reader.var, ("",))[0] == shape:
        return f"∂J/∂{reader.var}"
    matches = [label for label, s in forward.get(var, ("", []))[1] if s == shape]
    if len(matches) == 1:
        return f"∂{var}/∂{matches[0]}"
    return f"∂J/∂{reader.var}" if reader is not None and reader.transposed else f"∂{var}"


@functools.cache
def d2l_formulas() -> dict[str, str]:
    """d2l's backward formulas for one sample, read from ``handgrad.backprop.d2l``'s docstring.

    Returns:
      {"∂J/∂o": "∂l/∂o", "∂J/∂W⁽²⁾": "∂J/∂o hᵀ + λW⁽²⁾", "∂J/∂h": "W⁽²⁾ᵀ ∂J/∂o",
      "∂J/∂z": "∂J/∂h ⊙ φ′(z)", "∂J/∂W⁽¹⁾": "∂J/∂z xᵀ + λW⁽¹⁾", "∂J/∂b⁽¹⁾": "∂J/∂z",
      "∂s/∂W⁽²⁾": "λW⁽²⁾", "∂s/∂W⁽¹⁾": "λW⁽¹⁾"}: each gradient's right-hand side, as the
      hand backward computes it, for ``draw_graph``'s ``edge_labels``.
    """
    from handgrad.backprop import d2l

    block = (d2l.__doc__ or "").split("For one sample")[1].split("\n\n")[1]
    found = re.findall(r"^\s+(∂J/∂\S+)\s*=\s*(.+?)(?:\s{2,}\(.*\))?$", block, re.M)
    formulas = {name: rhs.strip() for name, rhs in found}
    for rhs in list(formulas.values()):  # the penalty's part of a weight's gradient, ∂s/∂W
        for W in re.findall(r"λ(W\S+)", rhs):
            formulas[f"∂s/∂{W}"] = f"λ{W}"
    return formulas
