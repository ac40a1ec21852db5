"""The ``xstilts`` command: one subcommand per tool (``score``, ``check``, ``cost``, ``plan``).

A :class:`~xstilts.errors.UserError` is printed as ``xstilts: <message>`` on stderr, with exit
status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from xstilts.benchmarks import BENCHMARKS
from xstilts.errors import UserError


def _score(args: argparse.Namespace) -> int:
    # here: it imports torch, other commands need not
    from xstilts.summary.score import score_folder

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


def _load_grid(config_path: str, schema: str | None, check_local: bool = False):
    from xstilts import grid

    if schema is not None and not Path(schema).exists():
        raise UserError(f"schema {schema} not found; give an existing --schema or none")
    return grid.resolve(grid.load(config_path, schema, check_local=check_local))


def _check_features(args: argparse.Namespace, grid) -> None:
    """--features must name a folder; one holding no model of the grid is said (every job is
    then estimated from the dataset cards, as without --features)."""
    if args.features is None:
        return
    from xstilts.grid import paths

    args.features = args.features or paths.FEATURES_ROOT  # --features without a folder
    folder = Path(args.features)
    if not folder.is_dir():
        raise UserError(
            f"--features {args.features} is not a folder; give the folder of the prepared "
            f"features ({paths.FEATURES_ROOT} in the run's directory), or leave --features out to "
            "estimate every job from the dataset cards' sizes"
        )
    if not any((folder / model).is_dir() for model in grid.models):
        print(
            f"xstilts: --features {args.features} holds no features of {', '.join(grid.models)} "
            "(a folder <model>/<task>/ each): every job is estimated from the dataset cards' "
            "sizes",
            file=sys.stderr,
        )


def _throughput(args: argparse.Namespace):
    from xstilts import cost

    return cost.Throughput(
        train=args.train_tokens_per_s,  # None: each family's measured figure
        infer=args.infer_tokens_per_s or cost.H100_XLMR_LARGE["infer"],
        gpu_gib=args.gpu_memory or cost.H100_GIB,
    )


DEMO_NOTE = (
    "demo models train on this machine's CPU, so no GPU-hours are projected for them (their "
    "jobs take seconds to minutes: the quick start runs in about 4 minutes on 2 cores)"
)


HOURS_NOTE = (
    "; hours: each training step the slower of its tokens at its family's throughput and its "
    "micro-batches' launch floor, inference tokens / the throughput above, measured for XLM-R "
    "Large on one H100 (docs/performance.md)"
)


def _all_demo(grid) -> bool:
    from xstilts.grid import axes

    return all(axes.is_demo_model(grid, m) for m in grid.models)


def _cost(args: argparse.Namespace) -> int:
    from xstilts import cost

    throughput = _throughput(args)
    grid = _load_grid(args.config, args.schema)
    _check_features(args, grid)
    jobs = cost.project(grid, throughput, args.features)
    table = cost.by_rule(jobs)
    if _all_demo(grid):
        print(f"Jobs and tokens of {args.config}; {DEMO_NOTE}:")
        table = table.drop(columns="hours")
    else:
        rate = (
            f"{throughput.train:,.0f}"
            if throughput.train is not None
            else "each task family's measured"
        )
        tokens = (
            "counted in the prepared features where they exist"
            if args.features
            else "estimated from the dataset cards' sizes"
        )
        print(
            f"Projected GPU-hours for {args.config} on a {throughput.gpu_gib:g} GiB GPU at {rate} "
            f"training and {throughput.infer:,.0f} inference tokens/s (real tokens; {tokens}):"
        )
    shown = table.assign(
        train_tokens=(table.train_tokens / 1e6).round(1),
        infer_tokens=(table.infer_tokens / 1e6).round(1),
        steps=table.steps.map("{:,.0f}".format),
        micro_steps=table.micro_steps.map("{:,.0f}".format),
    ).rename(columns={"train_tokens": "train Mtokens", "infer_tokens": "infer Mtokens"})
    if "hours" in shown:
        shown["hours"] = shown.hours.round(2)
    print(shown.to_markdown())
    print(
        "estimated: jobs whose tokens are the dataset cards' sizes x a per-task estimate, not "
        "counted in prepared features (--features)" + (HOURS_NOTE if "hours" in shown else "")
    )
    guessed = jobs[jobs.step_basis == "estimated"]
    if not guessed.empty and "hours" in shown:
        families = sorted({r for r in guessed.arm.astype(str) + "/" + guessed.target.astype(str)})
        print(
            f"step time estimated (no measurement of the family; the sentence-pair figure): "
            f"{len(guessed)} training jobs, e.g. {', '.join(families[:4])}"
        )
    if args.output:
        jobs.to_csv(args.output, index=False)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from xstilts import cost, plan

    if not Path(args.directory).is_dir():
        raise UserError(f"--directory {args.directory} is not a folder: create it or give one")
    config, schema = (str(Path(p).resolve()) if p else p for p in (args.config, args.schema))
    with contextlib.chdir(args.directory):  # data.local's relative folders are the run's
        grid = _load_grid(config, schema, check_local=True)
    snakefile = plan.find_snakefile(args.snakefile)
    demo = _all_demo(grid)
    if not demo:
        _check_features(args, grid)
    costs = None if demo else cost.project(grid, _throughput(args), args.features)
    try:
        kwargs = {"snakefile": snakefile, "cores": 1}
        to_run = plan.snakemake_jobs(args.directory, args.config, **kwargs)
        every = plan.snakemake_jobs(args.directory, args.config, forceall=True, **kwargs)
    except Exception as err:  # Snakemake's own errors (a bad config, a missing input file)
        raise UserError(f"snakemake could not plan {args.config}: {err}") from err
    table = plan.plan(every, to_run, costs)
    print(f"Plan for {args.config} in {Path(args.directory).resolve()}:")
    if demo:
        table = table.drop(columns="GPU-hours")
        print(f"({DEMO_NOTE})")
    print(table.to_markdown(index=False, floatfmt=".3g"))
    if args.output:
        table.to_csv(args.output, index=False)
    return 0


def _check(args: argparse.Namespace) -> int:

    g = _load_grid(args.config, args.schema, check_local=True)
    print(
        f"{args.config} is valid: models {', '.join(g.models)}; arms {', '.join(g.arms)}; "
        f"targets {', '.join(g.evaluated_targets)}"
    )
    return 0


def _add_throughput_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "--configfile", default="config/config.yaml")
    parser.add_argument("--schema", help="another schema than the package's (for tests)")
    parser.add_argument(
        "--features",
        nargs="?",
        const="",
        help="count real tokens in prepared features under this folder (without a folder: "
        "the run's, results/features) where they exist",
    )
    parser.add_argument(
        "--train-tokens-per-s",
        type=float,
        help="real tokens/s of training per GPU (default: XLM-R Large on one H100, measured "
        "by bench/train_throughput.py)",
    )
    parser.add_argument("--infer-tokens-per-s", type=float, help="the same for inference")
    parser.add_argument(
        "--gpu-memory",
        type=float,
        help="GiB of the projected GPU, which picks each model's micro_batch_size (default "
        "79.2, an 80 GB H100)",
    )


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

    cost = commands.add_parser(
        "cost",
        help="project the GPU-hours of a config's jobs before launching it",
        description="Tokens each training and evaluation job processes x throughput: a table "
        "per rule and the total.",
    )
    _add_throughput_arguments(cost)
    cost.add_argument("--output", help="also write one row per job to this CSV")
    cost.set_defaults(run=_cost)

    check = commands.add_parser(
        "check",
        help="check a config before running it (YAML, keys, models, local datasets)",
        description="Validate a config as the workflow does before any job runs; a YAML error "
        "or a key written twice names its file and line (Snakemake's own message for a "
        "--configfile that is not valid YAML names neither).",
    )
    check.add_argument("--config", "--configfile", default="config/config.yaml")
    check.add_argument("--schema", help="another schema than the package's (for tests)")
    check.set_defaults(run=_check)

    planner = commands.add_parser(
        "plan",
        help="before a run: jobs per rule, how many are done, what will run and why, GPU-hours",
        description="A dry run of the workflow (and one of every job) through Snakemake's API: "
        "per rule the jobs, those already done, those that will run with Snakemake's reasons, "
        "and the projected GPU-hours of the jobs that will run.",
    )
    _add_throughput_arguments(planner)
    planner.add_argument("--directory", default=".", help="the working directory of the run")
    planner.add_argument(
        "--snakefile",
        help="the workflow's Snakefile, or the checkout holding it (default: $XSTILTS_WORKFLOW, "
        "else the checkout of the repository the command runs in: the current folder or one "
        "above it)",
    )
    planner.add_argument("--output", help="also write the table to this CSV")
    planner.set_defaults(run=_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; returns the exit status (2 for a user error)."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except UserError as err:
        print(f"xstilts: {err}", file=sys.stderr)
        return 2
