"""d2l's computational graph of J, read off the code with ``jax.make_jaxpr``.

By default (``detail="text"``) each named scope of the code ("z=×") is one operator, as
d2l draws J: see ``handgrad.exercises.text_graph``. Below, ``detail="jaxpr"``:

d2l's figure of the one-hidden-layer MLP draws variables as boxes (x, W⁽¹⁾, z, h, o, L, s,
J), operators as circles (×, φ, l, +), the input bottom-left and J top-right. A jaxpr is
that graph for any function: each top-level equation an operator, each ``Var`` a variable.

- Inputs are named from the argument pytrees (``params["W1"]`` gives "W1", a bare array
  its parameter's name, e.g. "x"), outputs by ``output_names`` ("J"), the rest "v1",
  "v2", … or "_" when nothing reads them (as the jaxpr prints them).
- A call (``jit``, ``custom_jvp_call``, ``custom_vjp_call``) is one operator named after
  its function: ``jax.nn.relu`` is one "relu" circle, d2l's φ, not its body.
- Constants are not variables. A literal (the 2.0 in x / 2.0) is folded into the label of
  the operator that reads it, in its place among the operands, "div(·, 2)" (· stands for
  the variables), and so is an equation whose inputs are all constants
  (``broadcast_in_dim 0.0``, or λ/2 as ``div 0.1 2.0``): it is not drawn, and its value
  shows where it is used, "mul(0.05, ·)", or "c" if it is not one number. So each
  operator drawn depends on some input. No other equation is dropped. An output that is
  an input, or a constant, is a box that no operator writes.
- ``handgrad.exercises.graph_drawing`` lays it out as d2l does (inputs bottom-left, J top-right) and draws it.

>>> import jax.numpy as jnp
>>> g = trace_graph(lambda w, x: jnp.sum((w * x) ** 2), jnp.ones(3), jnp.ones(3))
>>> [v.label for v in g.variables if v.kind != "intermediate"], [o.label for o in g.operators]
(['w', 'x', 'J'], ['mul', 'integer_pow', 'reduce_sum'])
"""

from __future__ import annotations

import functools
import inspect
import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import numpy as np
from jax.extend.core import Literal

from handgrad._validate import as_int
from handgrad.exercises.text_graph import check_detail


class Variable(NamedTuple):
    """A box: an array's name, type ("f64[3,4]") and kind ("input", "intermediate", "output").

    ``side`` is "backward" for what a transposed stage writes (text detail), else "forward".
    """

    id: str
    label: str
    shape: str
    kind: str
    side: str = "forward"


class Operator(NamedTuple):
    """A circle: one top-level equation, named by its primitive (or the function it calls);
    with text detail one named scope, named by its operator ("×", "φ", "×ᵀ" backward).

    ``mirror`` is, for a backward stage, the id of the forward operator it transposes.
    """

    id: str
    label: str
    side: str = "forward"
    mirror: str = ""


class ComputationGraph(NamedTuple):
    """Variables, operators and edges (source id, target id), each in the jaxpr's order.

    An edge joins a variable to each operator that reads it (once, even for ``mul a a``)
    and an operator to each variable it writes.
    """

    variables: tuple[Variable, ...]
    operators: tuple[Operator, ...]
    edges: tuple[tuple[str, str], ...]
    detail: str = "jaxpr"


def _input_labels(f: Callable, args: tuple) -> list[list[str]]:
    """A name per array of each argument: "W1" for ``params["W1"]``, "xs[0]" for ``xs[0]``."""
    try:
        names = [
            p.name
            for p in inspect.signature(f).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):  # no signature to read, e.g. a builtin
        names = []
    labels = []
    for i, arg in enumerate(args):
        labels.append([])
        for path, leaf in jax.tree_util.tree_flatten_with_path(arg)[0]:
            bare = not path or hasattr(path[0], "idx")  # a dict's keys name its leaves alone
            label = (names[i] if i < len(names) else f"arg{i}") if bare else ""
            for key in path:  # SequenceKey has .idx, DictKey .key, GetAttrKey .name
                part = str(getattr(key, "key", getattr(key, "name", key)))
                label += f"[{key.idx}]" if hasattr(key, "idx") else f".{part}" if label else part
            labels[-1].append(label)
            try:
                jax.typeof(leaf)
            except TypeError:
                raise ValueError(
                    f"argument {label} of type {type(leaf).__name__} cannot be traced by JAX; "
                    "pass an array, or pass it as a keyword argument (held fixed)"
                ) from None
    return labels


def _operator_name(eqn) -> str:
    """The primitive's name, or for a call its function's ("relu" for custom_jvp_call)."""
    sub = eqn.params.get("call_jaxpr")  # custom_jvp_call and custom_vjp_call keep it here
    info = getattr(getattr(sub, "jaxpr", sub), "debug_info", None)
    name = eqn.params.get("name", info.func_name if info is not None else None)
    return name if isinstance(name, str) and name else eqn.primitive.name


def _constant(value: Any) -> str:
    """ "0.05" when every entry is that number; "c" if they differ or are not worked out."""
    try:
        a = np.asarray(value)
    except TypeError:  # a PRNG key
        return "c"
    same = value is not None and a.size and (a == a.flat[0]).all()
    return f"{a.flat[0].item():.3g}" if same else "c"


_READ = object()  # stands for a variable (not a constant) among an equation's inputs


def _graph(
    traced: Callable, args: tuple, labels: list, output_names, detail: str = "jaxpr"
) -> ComputationGraph:
    closed = jax.make_jaxpr(traced)(*args)
    batch = _batch_size(args) if detail == "text" else None
    jaxpr, output_names = closed.jaxpr, list(output_names)
    if len(output_names) != len(jaxpr.outvars):
        raise ValueError(
            f"output_names has {len(output_names)} names but the function returns "
            f"{len(jaxpr.outvars)} arrays; give one name per array"
        )
    consts = dict(zip(jaxpr.constvars, closed.consts))  # var -> value, None if not worked out
    read = {v for e in jaxpr.eqns for v in e.invars if not isinstance(v, Literal)}
    read |= {v for v in jaxpr.outvars if not isinstance(v, Literal)}
    variables, operators, edges, index, names, kept = [], [], [], {}, itertools.count(1), []

    def add(var, label, kind):
        index[var] = len(variables)
        variables.append(Variable(f"v{len(variables)}", label, var.aval.str_short(True), kind))

    for var, label in zip(jaxpr.invars, [label for arg in labels for label in arg]):
        add(var, label, "input")
    for eqn in jaxpr.eqns:
        vals = [v.val if isinstance(v, Literal) else consts.get(v, _READ) for v in eqn.invars]
        if all(val is not _READ for val in vals):  # a constant: worked out if small and plain
            small = all(o.aval.size <= 64 for o in eqn.outvars)
            plain = not eqn.effects and not {"jaxpr", "call_jaxpr"} & set(eqn.params)
            out = [None] * len(eqn.outvars)
            if small and plain and all(v is not None for v in vals):
                out = eqn.primitive.bind(*vals, **eqn.params)
                out = out if eqn.primitive.multiple_results else [out]
            consts.update(zip(eqn.outvars, out))
            continue
        args = ["·" if val is _READ else _constant(val) for val in vals]
        label = _operator_name(eqn) + (f"({', '.join(args)})" if set(args) - {"·"} else "")
        ins = dict.fromkeys(v for v, val in zip(eqn.invars, vals) if val is _READ)
        if detail == "text":
            kept.append((eqn, list(ins), label))
            continue
        operators.append(op := Operator(f"op{len(operators)}", label))
        edges += [(variables[index[v]].id, op.id) for v in ins]
        for var in eqn.outvars:
            add(var, f"v{next(names)}" if var in read else "_", "intermediate")
            edges.append((op.id, variables[-1].id))
    if detail == "text":
        from handgrad.exercises.scope_graph import scope_graph  # it builds on these classes

        flat = [label for arg in labels for label in arg]
        return scope_graph(jaxpr, kept, flat, output_names, batch)
    for var, name in zip(jaxpr.outvars, output_names):
        i = None if isinstance(var, Literal) else index.get(var)
        if i is not None and variables[i].kind != "input":  # returned twice: named twice
            old = variables[i]
            label = name if old.kind == "intermediate" else f"{old.label}, {name}"
            variables[i] = old._replace(label=label, kind="output")
        else:  # an input returned as it is, or a constant: a box no operator writes
            shape = var.aval.str_short(True)
            variables.append(Variable(f"v{len(variables)}", name, shape, "output"))
    return ComputationGraph(tuple(variables), tuple(operators), tuple(edges))


def _batch_size(args: tuple) -> int | None:
    """P when the data arguments, the arrays passed bare after a pytree of parameters, all
    have a leading axis of P (X [P, d], Y [P]); None otherwise, as for one sample (y [])."""
    bare = [a for a in args if jax.tree_util.treedef_is_leaf(jax.tree_util.tree_structure(a))]
    shapes = [tuple(jax.typeof(a).shape) for a in bare]
    if len(shapes) in (0, len(args)) or not all(shapes):
        return None
    leading = {shape[0] for shape in shapes}
    return leading.pop() if len(leading) == 1 else None


def trace_graph(
    f: Callable, *args, output_names: Sequence[str] = ("J",), detail: str = "text", **kwargs
) -> ComputationGraph:
    """The forward graph of ``f(*args, **kwargs)``, read from ``jax.make_jaxpr``.

    Args:
      f: a JAX-traceable function.
      *args: arrays, pytrees of arrays or ``jax.ShapeDtypeStruct``: the graph's inputs.
      output_names: a name per array ``f`` returns, in pytree order.
      detail: "text" (default): one operator per named scope "z=×" of the code, its output
        named z, as d2l draws J (``handgrad.exercises.text_graph``; equations in no scope
        as in the jaxpr); "jaxpr": one operator per top-level equation.
      **kwargs: held fixed (``functools.partial``): an activation's name, λ, ….

    Returns:
      A ``ComputationGraph``, constants folded.

    Raises:
      ValueError: naming an argument JAX cannot trace, an unknown ``detail``, or if
        ``output_names`` does not give one name per output.
    """
    check_detail(detail)
    labels = _input_labels(f, args)
    return _graph(functools.partial(f, **kwargs), args, labels, output_names, detail)


def _check_argnums(argnums, n_args: int) -> tuple[int | tuple[int, ...], tuple[int, ...]]:
    """``argnums`` as ``jax.grad`` takes it (a Python int or a tuple of them), and as a tuple."""
    single = not isinstance(argnums, (Sequence, np.ndarray)) or np.ndim(argnums) == 0
    given = (argnums,) if single else tuple(argnums)
    try:
        nums = tuple(as_int("argnums", i, low=-n_args) for i in given)  # negative: from the end
    except ValueError:
        nums = ()
    if not nums or max(nums) >= n_args or len({i % n_args for i in nums}) < len(nums):
        raise ValueError(
            "argnums must be an integer or a non-empty sequence of distinct integers, "
            f"positions of the {n_args} arguments given, got {argnums!r}"
        )
    nums = tuple(i % n_args for i in nums)
    return (nums[0] if single else nums), nums


def backward_graph(
    f: Callable, *args, argnums: int | Sequence[int] = 0, detail: str = "text", **kwargs
) -> ComputationGraph:
    """The graph of ``jax.grad(f, argnums)``: the forward pass, then the chain rule backwards.

    Its outputs are ∂J/∂ each array of the ``argnums`` arguments, named e.g. "dJ/dW1"
    ("∂J/∂W⁽¹⁾" with ``detail="text"``, where each transposed scope is one backward
    operator and the cotangent it hands to stage V is named ∂J/∂V; see ``trace_graph``).

    ``argnums`` is a Python or NumPy integer, or a sequence of them, as ``jax.grad`` takes.

    Raises:
      ValueError: for ``argnums`` that are not distinct positions of ``args``, if ``f`` does
        not return a scalar, an unknown ``detail``, or naming an argument JAX cannot trace
        or differentiate (not floating point).
    """
    check_detail(detail)
    argnums, nums = _check_argnums(argnums, len(args))
    fixed, labels = functools.partial(f, **kwargs), _input_labels(f, args)
    out = jax.tree_util.tree_leaves(jax.eval_shape(fixed, *args))
    if len(out) != 1 or out[0].shape != ():
        got = f"shape {out[0].shape}" if len(out) == 1 else f"{len(out)} arrays"
        raise ValueError(f"f must return a scalar for jax.grad, got {got}")
    for i in nums:
        for label, leaf in zip(labels[i], jax.tree_util.tree_leaves(args[i])):
            if not jax.dtypes.issubdtype(dtype := jax.typeof(leaf).dtype, np.inexact):
                raise ValueError(f"argument {label} has dtype {dtype}; jax.grad needs floats")
    names = [f"dJ/d{label}" for i in nums for label in labels[i]]
    return _graph(jax.grad(fixed, argnums), args, labels, names, detail)
