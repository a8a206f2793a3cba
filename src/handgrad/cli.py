"""The ``handgrad`` command: ``handgrad verify`` checks every hand gradient.

The command only wires the library together; all logic lives in the modules it calls.
"""

from __future__ import annotations

import argparse
import sys
import time


def _verify(args: argparse.Namespace) -> int:
    from handgrad import verify
    from handgrad.gradcheck import TOLERANCES

    start = time.perf_counter()
    labels = {f: getattr(args, f) for f in ("model", "activation", "loss", "dtype")}
    try:
        grid = verify.select(verify.cases(seed=args.seed), **labels)
    except ValueError as err:
        print(f"handgrad verify: error: {err}", file=sys.stderr)
        return 2
    rows = verify.run(grid)
    print(verify.format_table(rows))
    failed = [row for row in rows if not row.report.passed]
    print(
        f"\n{len(rows) - len(failed)} of {len(rows)} cases passed in "
        f"{time.perf_counter() - start:.1f} s; tolerances (grad/vjp/jvp, finite differences): "
        + ", ".join(f"{dt} {tol:.0e}, {fd:.0e}" for dt, (tol, fd) in TOLERANCES.items())
    )
    for row in failed:
        for line in row.report.failures():
            print(f"FAIL {row.case.model} {row.case.activation} {row.case.loss}: {line}")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handgrad", description="Hand-derived backprop, proven equal to JAX's autodiff."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser(
        "verify", help="check every hand gradient against grad, vjp, jvp and finite differences"
    )
    verify.add_argument("--seed", type=int, default=0, help="seed of the random check points")
    for label in ("model", "activation", "loss", "dtype"):
        verify.add_argument(f"--{label}", help=f"check only the cases with this {label}")
    verify.set_defaults(run=_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
