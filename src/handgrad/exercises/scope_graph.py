"""Builds the text-level ``ComputationGraph``: one operator per named scope of the jaxpr.

``trace_graph(..., detail="text")`` and ``backward_graph(..., detail="text")`` call
``scope_graph`` with the jaxpr's equations that are not constant; how scopes are read and
named is ``handgrad.exercises.text_graph``. Values flow as in the jaxpr: an edge joins a
variable to each operator whose equations read it, and an operator to each variable its
equations write that is read outside the scope (or returned).

>>> import jax, jax.numpy as jnp
>>> from handgrad.exercises.computational_graph import trace_graph
>>> def J(w, x):
...     with jax.named_scope("o=×"):
...         o = w * x
...     with jax.named_scope("L=l"):
...         return jnp.sum(o**2)
>>> g = trace_graph(J, jnp.ones(3), jnp.ones(3))
>>> [v.label for v in g.variables], [o.label for o in g.operators]
(['w', 'x', 'o', 'J'], ['×', 'l'])
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from handgrad.exercises.computational_graph import ComputationGraph, Operator, Variable
from handgrad.exercises.text_graph import (
    cotangent_name,
    group_equations,
    is_shape_only,
    pretty_name,
    text_shape,
)


def scope_graph(
    jaxpr,
    kept: Sequence[tuple],
    input_labels: Sequence[str],
    output_names: Sequence[str],
    batch: int | None = None,
) -> ComputationGraph:
    """The graph of ``jaxpr`` with each scope's equations collapsed into one operator.

    Args:
      jaxpr: the traced ``Jaxpr``.
      kept: (equation, the variables it reads, its jaxpr-level label) for each equation
        that is not constant, in order.
      input_labels: a name per input variable; output_names: a name per output.
      batch: the number of samples P the data arguments hold, or None for one sample:
        the intermediates' shapes follow the text (``text_graph.text_shape``).

    Returns:
      A ``ComputationGraph`` with ``detail="text"``.
    """
    alias, reads, label_of = {}, {}, {}
    for eqn, read, label in kept:  # reshapes outside scopes: their output is their input
        read = [alias.get(v, v) for v in read]
        if is_shape_only(eqn, len(read)):
            alias[eqn.outvars[0]] = read[0]
        else:
            reads[eqn], label_of[eqn] = read, label
    outvars = [alias.get(v, v) for v in jaxpr.outvars]
    groups = group_equations(list(reads))
    readers: dict = {}
    for scope, eqns in groups:
        written = {v for e in eqns for v in e.outvars}
        for v in dict.fromkeys(v for e in eqns for v in reads[e] if v not in written):
            readers.setdefault(v, []).append(scope)
    variables, operators, edges, index, forward = [], [], [], {}, {}
    numbers, last_forward = itertools.count(1), {}

    def add(var, label, kind, side="forward"):
        index[var] = len(variables)
        shape = var.aval.str_short(True)
        shape = shape if kind == "input" else text_shape(shape, batch)
        variables.append(Variable(f"v{len(variables)}", label, shape, kind, side))

    for var, label in zip(jaxpr.invars, input_labels):
        add(var, pretty_name(label), "input")
    for scope, eqns in groups:
        side = "backward" if scope is not None and scope.transposed else "forward"
        written = [v for e in eqns for v in e.outvars]
        ins = dict.fromkeys(v for e in eqns for v in reads[e] if v not in set(written))
        outs = [v for v in written if v in readers or v in outvars] or list(eqns[-1].outvars)
        if scope is None:
            label = label_of[eqns[0]]
        else:
            op = f"({scope.op})" if scope.transposed and len(scope.op) > 2 else scope.op
            label = op + ("ᵀ" if scope.transposed else "")  # (λ/2‖·‖²)ᵀ, not ‖·‖²ᵀ
        mirror = last_forward.get(scope[:2], "") if side == "backward" else ""
        operators.append(op := Operator(f"op{len(operators)}", label, side, mirror))
        if scope is not None and side == "forward":
            last_forward[scope[:2]] = op.id
        edges += [(variables[index[v]].id, op.id) for v in ins if v in index]
        boxes = {}  # one box per name in a stage: φ′'s several residuals are one
        for var in outs:
            name = _output_name(var, scope, readers, outvars, forward, numbers)
            if name in boxes and scope is not None:
                index[var] = boxes[name]
                continue
            add(var, name, "intermediate", side)
            boxes[name] = index[var]
            edges.append((op.id, variables[-1].id))
        if scope is not None and not scope.transposed and scope.var not in forward:
            main = next((v for v in outs if variables[index[v]].label == scope.var), outs[0])
            shapes = [(variables[index[v]].label, v.aval.str_short(True)) for v in ins]
            forward[scope.var] = (main.aval.str_short(True), shapes)
    for var, name in zip(outvars, output_names):
        i = index.get(var)
        if i is not None and variables[i].kind != "input":
            variables[i] = variables[i]._replace(label=pretty_name(name), kind="output")
        else:  # an input returned as it is, or a constant: a box no operator writes
            shape = text_shape(var.aval.str_short(True), batch)
            variables.append(Variable(f"v{len(variables)}", pretty_name(name), shape, "output"))
    return ComputationGraph(tuple(variables), tuple(operators), tuple(dict.fromkeys(edges)), "text")


def _output_name(var, scope, readers, outvars, forward, numbers) -> str:
    """A stage's output: its variable, its operator primed if only the backward pass reads it,
    a cotangent's ∂J/∂ name, or "v1", "v2", … outside any scope."""
    if scope is None:
        return f"v{next(numbers)}"
    shape = var.aval.str_short(True)
    if scope.transposed:
        later = [r for r in readers.get(var, []) if r is not None and r.transposed]
        return cotangent_name(scope.var, shape, later[0] if later else None, forward)
    backward_only = var not in outvars and all(
        r is not None and r.transposed for r in readers.get(var, [])
    )
    return f"{scope.op}′" if backward_only and var in readers else scope.var
