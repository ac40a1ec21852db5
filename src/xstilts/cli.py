"""The ``xstilts`` command: one subcommand per tool (``score`` so far).

A :class:`~xstilts.errors.UserError` is printed as ``xstilts: <message>`` on stderr, with exit
status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from xstilts.benchmarks import BENCHMARKS
from xstilts.errors import UserError


def _score(args: argparse.Namespace) -> int:
    from xstilts.score import score_folder  # here: it imports torch, other commands need not

    result = score_folder(args.predictions, args.labels, args.benchmark)
    text = json.dumps(result, indent=2)
    if args.verbose:  # evaluate.py's per-task lines; on stderr, so stdout stays pure JSON
        for task, scores in result.items():
            if isinstance(scores, dict):
                averages = ", ".join(
                    f"{key}={value:.1f}" for key, value in scores.items() if key.startswith("avg")
                )
                print(f"- Evaluate {task}:\t{averages}", file=sys.stderr)
    if args.output_file is not None:
        try:
            Path(args.output_file).write_text(text, encoding="utf-8")
        except OSError as err:
            raise UserError(
                f"cannot write {args.output_file} ({err.strerror}); give a writable path."
            ) from err
    print(text)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xstilts", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser(
        "score",
        help="score an XTREME submission folder as google-research/xtreme's evaluate.py does",
        description="Score <task>/test-<lang>.<ext> predictions against gold labels and print "
        "the JSON that evaluate.py --output_file writes (its flag names work too).",
    )
    score.add_argument(
        "--predictions", "--prediction_folder", required=True, help="the predictions folder"
    )
    score.add_argument("--labels", "--label_folder", required=True, help="the gold labels folder")
    score.add_argument("--benchmark", "--xtreme_version", required=True, choices=list(BENCHMARKS))
    score.add_argument("--output_file", help="also write the JSON to this file")
    score.add_argument(
        "--verbose", action="store_true", help="print each task's averages on stderr"
    )
    score.set_defaults(run=_score)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (2 for a user error)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as err:
        print(f"xstilts: {err}", file=sys.stderr)
        return 2
