"""The training engine, one for both phases (intermediate and target): the metarunner, which
decides around the runner's steps when to log, checkpoint, validate, log a learning curve and
stop, and what the run leaves (the model and its ``train_summary.json``).

AdamW with linear warm-up and decay; bf16 autocast on CUDA; dynamic padding with length-grouped
batches; several tasks at once, each with its own head; periodic checkpoints in a directory
outside the job's declared outputs, so a restarted job resumes where it stopped; deterministic
under a seed (the batch plan is a pure function of seed, task and epoch, and every random state
is checkpointed).
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import torch

from xstilts.data.disk import load_split
from xstilts.modeling import model as modeling
from xstilts.settings import Curve, Machine, Training
from xstilts.training import finished, sharding
from xstilts.training.checkpoints import (
    Stopped,
    StopSignals,
    disk_full_said,
    fingerprint,
)
from xstilts.training.curves import curve_points, curve_sets
from xstilts.training.events import EventWriter
from xstilts.training.inference import eager, score_split
from xstilts.training.runner import Runner, compile_encoder, compile_report
from xstilts.training.selection import (
    keep_best,
    load_best,
    save_best,
)
from xstilts.training.start import COMPILED_BUCKETS, build, log_start, resume, selection_of

log = logging.getLogger("xstilts")


def validation_score(model, sets: dict, pad_id: int, precision: str) -> float:
    """The mean of the tasks' summary scores on their validation rows (jiant's aggregate of
    the tasks' major metrics), the encoder eager."""
    with eager(model):
        scores = [
            task.summary_score(score_split(model, task, rows, pad_id, precision)[1])
            for task, rows in sets.values()
        ]
    return float(sum(scores) / len(scores))


class _Loop:
    """The metarunner: runs the steps and decides, after each, whether to log a curve point,
    validate, log, checkpoint or stop."""

    def __init__(
        self, runner, checkpoint_dir, run_id, selection, sets, curve, curve_rows, precision
    ):
        self.runner, self.checkpoint_dir, self.run_id = runner, checkpoint_dir, run_id
        self.selection, self.sets, self.precision = selection, sets, precision
        self.curve, self.curve_rows = curve, curve_rows
        self.events, self.tag = None, ""  # TensorBoard (open_events)

    def open_events(self, folder, train_split: str) -> None:
        """TensorBoard event files in ``folder`` (the first process of a sharded run): a run
        that starts at step 0 replaces its earlier files; a later stage's tags carry its
        split."""
        if folder is None or self.runner.rank != 0:
            return
        suffix = f".{train_split}"
        if self.runner.step == 0 and Path(folder).is_dir():
            for old in Path(folder).glob(f"events.out.tfevents.*{suffix}"):
                old.unlink()
        self.events = EventWriter(folder, suffix)
        self.tag = "" if train_split == "train" else f"{train_split}/"

    def close_events(self) -> None:
        if self.events is not None:
            self.events.close()

    def scalars(self, step: int, values: dict) -> None:
        if self.events is not None:
            self.events.scalars(step, {self.tag + k: v for k, v in values.items()})

    def validation_scalars(self, validation: dict) -> None:
        """The final English validation scores, each task's metrics."""
        self.scalars(
            self.runner.step,
            {
                f"validation/{task}/{metric}": value
                for task, scores in validation.items()
                for metric, value in scores.items()
                if isinstance(value, int | float)
            },
        )

    def curve_point(self, step: int) -> None:
        r = self.runner
        points = curve_points(r.model, self.curve_rows, r.tasks, r.pad_id, self.precision, step)
        r.points += points
        self.scalars(step, {f"curve/{p['language']}/score": p["score"] for p in points})

    def checkpoint(self) -> None:
        self.runner.checkpoint(self.checkpoint_dir, self.run_id, self.selection)
        if self.selection is not None:  # the checkpoint records this best: older ones can go
            self.selection.checkpointed = self.selection.best_step
            keep_best(self.checkpoint_dir, {self.selection.best_step})

    def after_step(self) -> bool:
        """The curve and the validation due at this step; True when the run should stop
        (the validation's patience is exhausted)."""
        r, step = self.runner, self.runner.step
        if self.curve_rows and (step % self.curve.every == 0 or step == r.total):
            self.curve_point(step)
        if self.selection is None or not self.selection.due(step, r.total):
            return False
        score = validation_score(r.model, self.sets, r.pad_id, self.precision)
        if self.selection.record(step, score):
            save_best(r.model, self.checkpoint_dir, self.selection)
        self.scalars(step, {"validation/score": score})
        log.info(
            "validation at step %d: %.3f (best %.3f at step %d)",
            step,
            score,
            self.selection.best_score,
            self.selection.best_step,
        )
        r.model.train()
        if self.selection.exhausted and step < r.total:
            log.info(
                "no gain in %d validations: stopped at step %d of %d",
                self.selection.patience,
                step,
                r.total,
            )
            return True
        return False

    def run(self, on_step, log_seconds, checkpoint_minutes, every_steps, stop_at_step) -> bool:
        """Train to the end (or the selection's early stop): True; False when ``stop_at_step``
        interrupted it, after a checkpoint. A stop signal checkpoints and exits."""
        r = self.runner
        r.model.train()
        t_start = t_log = t_ckpt = time.time()
        start_step, tokens_at_start = r.step, r.tokens
        with StopSignals() as stop:
            while r.step < r.total:
                r.train_step()
                if on_step is not None:
                    on_step(r.step, r.model)
                if self.after_step():
                    break
                now = time.time()
                if now - t_log >= log_seconds or r.step == r.total:
                    rate = (r.tokens - tokens_at_start) / max(now - t_start, 1e-9)
                    left = (now - t_start) / (r.step - start_step) * (r.total - r.step)
                    loss, lr = r.mean_loss(), r.schedule.get_last_lr()[0]
                    log.info(
                        "step %d/%d loss %.4f lr %.2e %.0f tokens/s, %s left",
                        r.step,
                        r.total,
                        loss,
                        lr,
                        rate,
                        time.strftime("%H:%M:%S", time.gmtime(left)),
                    )
                    self.scalars(
                        r.step,
                        {
                            "train/loss": loss,
                            "train/learning_rate": lr,
                            "train/tokens_per_second": rate,
                        },
                    )
                    t_log = now
                due = (every_steps and r.step % every_steps == 0) or (
                    now - t_ckpt >= checkpoint_minutes * 60
                )
                if r.world > 1:  # the processes checkpoint together, and stop together
                    due = sharding.any_rank(bool(due))
                    if sharding.any_rank(stop.received is not None) and stop.received is None:
                        stop.received = signal.SIGTERM
                if due and r.step < r.total:
                    self.checkpoint()
                    t_ckpt = now
                if stop_at_step is not None and r.step >= stop_at_step and r.step < r.total:
                    self.checkpoint()
                    log.info(
                        "stopped at step %d; the checkpoint in %s resumes it",
                        r.step,
                        self.checkpoint_dir,
                    )
                    return False
                if stop.received is not None and r.step < r.total:
                    self.checkpoint()
                    message = (
                        f"{signal.Signals(stop.received).name} at step {r.step}/{r.total}: "
                        f"checkpoint written to {self.checkpoint_dir}; run the workflow again "
                        "to resume"
                    )
                    log.warning("%s", message)
                    raise Stopped(stop.received, message)
        return True


def _summary(runner: Runner, loop: _Loop, run_id, train_split, compiled, seed, started) -> dict:
    tokens = sum(sharding.gather(runner.tokens)) if runner.world > 1 else runner.tokens
    summary = {
        "fingerprint": run_id,
        "train_split": train_split,
        "tasks": list(runner.tasks),
        "compiled": compiled,
        "steps": runner.step,  # the total, unless the validation stopped the run early
        # how this device split each batch (a machine choice: micro_batch_size)
        "micro_batch": runner.micro,
        "accumulation": runner.accum,
        "tokens": tokens,  # every process counted the tokens of its share
        "seed": seed,
        "sampling_probabilities": runner.probs,
        "realised_shares": runner.shares(),  # the share of optimizer steps each task got
        "seconds": round(time.time() - started, 2),
    }
    if runner.buckets:  # the padded lengths of each task's batches
        summary["shapes"] = {n: list(lengths) for n, lengths in runner.shapes.items()}
    if runner.losses:  # the training curve: [step, mean loss since the last point, lr]
        summary["losses"] = runner.losses
    if loop.curve_rows:
        summary["curve"] = runner.points
    if loop.selection is not None:
        summary["selection"] = loop.selection.summary(runner.step, runner.total)
    if len(runner.tasks) > 1:
        shares = {n: round(p, 3) for n, p in summary["realised_shares"].items()}
        log.info("steps per task: %s (shares %s)", runner.steps_by_task, shares)
    return summary


def _final_validation(runner: Runner, features: dict, precision: str) -> dict:
    """The English validation score of each task, for the log and the choice of arms."""
    out = {}
    for n, task in runner.tasks.items():
        val = Path(features[n]) / "validation" if n in features else None
        if val is not None and val.exists():
            _, scores = score_split(runner.model, task, load_split(val), runner.pad_id, precision)
            out[n] = scores
            log.info("validation %s: %s", n, scores)
    return out


def _save(runner: Runner, tokenizer, encoder_dir, out_dir: Path, checkpoint_dir: Path, summary):
    """The model in the usual layout and its summary (the first process of a sharded run
    saves the gathered weights): first as the run's finished state in the checkpoint folder
    (finished.py), then hard-linked into ``out_dir``; the checkpoints go."""
    model = runner.model
    if runner.world > 1:
        state, _ = sharding.full_state(model)
        if runner.rank == 0:
            plain, _ = modeling.load_encoder(encoder_dir, "cpu")
            model = modeling.MultiTaskModel(plain, list(runner.tasks))
            model.load_state_dict(state)
    if runner.rank == 0:
        staging = checkpoint_dir / (finished.FINISHED + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with disk_full_said(checkpoint_dir, f"the model of {out_dir}", checkpoint_dir):
                modeling.save(model, tokenizer, staging)
                (staging / "train_summary.json").write_text(
                    json.dumps(summary, indent=1, sort_keys=True) + "\n"
                )
                finished.keep(staging, checkpoint_dir, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)  # a partial save frees its space
            raise
    if runner.world > 1:
        torch.distributed.barrier()


def _keep_best(runner: Runner, checkpoint_dir: Path, selection) -> None:
    """With model selection, put the best state back when it is not the last."""
    if selection is not None and selection.best_step != runner.step:
        load_best(runner.model, checkpoint_dir, selection, runner.device)
        log.info(
            "kept the best state: step %d (score %.3f)", selection.best_step, selection.best_score
        )


def _finished_before(out_dir: Path, checkpoint_dir: Path, run_id: str) -> dict | None:
    """The summary of this run when it finished before: in ``out_dir``, or in the checkpoint
    folder's finished state after Snakemake deleted the output (linked back; finished.py)."""
    done = out_dir / "train_summary.json"
    if done.exists() and json.loads(done.read_text()).get("fingerprint") == run_id:
        log.info("%s holds this run, finished: not run again", out_dir)
        return json.loads(done.read_text())
    kept = finished.same_run(checkpoint_dir, run_id)
    if kept is not None:
        if sharding.world()[0] == 0:
            finished.restore(checkpoint_dir, out_dir)
        if sharding.world()[1] > 1:
            torch.distributed.barrier()
    return kept


def train(
    *,
    encoder_dir: str | Path,
    features: dict[str, str | Path],
    settings: Training,
    seed: int,
    out_dir: str | Path,
    checkpoint_dir: str | Path,
    machine: Machine | None = None,
    curve: Curve | None = None,
    train_sets: dict[str, list[str | Path]] | None = None,
    train_split: str = "train",
    heads_from: str | Path | None = None,
    stop_at_step: int | None = None,
    on_step: Callable[[int, torch.nn.Module], None] | None = None,
) -> dict | None:
    """Train the encoder plus one head per task in ``features`` (task → prepared features dir)
    with ``settings`` (xstilts.settings.Training: the cell's optimisation settings, its model
    selection and precision) under ``seed``.

    Returns the training summary, or None when ``stop_at_step`` interrupted it (as a preemption
    would: the checkpoint stays and the next call resumes from it). ``on_step(step, model)`` is
    called after every optimizer step. ``machine`` (xstilts.settings.Machine; None: its
    defaults) holds how the job runs here, no part of the cell (docs/performance.md):
    ``compile`` compiles the encoder on CUDA (``runner.compile_mode``; the summary's
    ``compiled`` says whether it really ran compiled), ``buckets`` pads every batch to one of
    that many lengths (None: COMPILED_BUCKETS when compiled, else none), ``micro_batch_size``
    bounds the examples of one forward and backward pass (a larger batch is split into
    micro-batches, which changes no result beyond rounding), ``tensorboard`` (a folder) receives
    TensorBoard event files (events.py), and the checkpoint and log cadence. ``curve``
    (xstilts.settings.Curve) logs a learning curve (curves.py). ``train_sets`` (task → prepared
    features dirs) replaces a task's training data by those dirs' ``train`` splits, or adds a
    task trained only on them (an mlm arm's text); validation still comes from ``features``.
    ``train_split`` names the features split trained on (a staged task's "first_stage",
    stages.py); ``heads_from`` (a saved model directory) starts each task's head from that
    model's. A finished run whose ``train_summary.json`` is in ``out_dir`` with this run's
    fingerprint is not run again.
    """
    machine = machine if machine is not None else Machine()
    out_dir, checkpoint_dir = Path(out_dir), Path(checkpoint_dir)
    run_id = fingerprint(encoder_dir, features, settings, seed, train_split, heads_from, curve)
    done = _finished_before(out_dir, checkpoint_dir, run_id)
    if done is not None:
        return done
    buckets = machine.buckets
    if buckets is None:  # fixed shapes pay with a compiled encoder (CUDA graphs per shape)
        buckets = COMPILED_BUCKETS if machine.compile and torch.cuda.is_available() else 0
    arguments = (encoder_dir, features, settings, seed, train_sets, train_split, heads_from)
    runner, tokenizer = build(*arguments, buckets, machine.micro_batch_size)
    selection, sets = selection_of(runner, features, settings)
    curve_rows = curve_sets(runner.tasks, features, curve) if curve else {}
    resume(runner, checkpoint_dir, run_id, selection)
    log_start(runner, train_split)
    precision = settings.precision
    loop = _Loop(runner, checkpoint_dir, run_id, selection, sets, curve, curve_rows, precision)
    # in place (state_dict keys unchanged); its mode follows the accumulation (runner.py)
    compiled = compile_encoder(runner, bool(machine.compile))
    loop.open_events(machine.tensorboard, train_split)
    try:
        cadence = (machine.log_seconds, machine.checkpoint_minutes, machine.checkpoint_every_steps)
        started = time.time()
        if not _run(loop, (on_step, *cadence), stop_at_step):
            return None
        # validation below runs eagerly: one more graph would not pay for itself
        compiled = compile_report(runner, compiled)
        _keep_best(runner, checkpoint_dir, selection)
        summary = _summary(runner, loop, run_id, train_split, compiled["compiled"], seed, started)
        summary |= compiled  # whether it really ran compiled, and how (or why not)
        summary["validation"] = _final_validation(runner, features, precision)
        loop.validation_scalars(summary["validation"])
        _save(runner, tokenizer, encoder_dir, out_dir, checkpoint_dir, summary)
        return summary
    finally:
        loop.close_events()


def _run(loop: _Loop, run_args: tuple, stop_at_step: int | None) -> bool:
    """The learning curve's first point (a fresh run's step 0), then the steps; False when
    ``stop_at_step`` interrupted them."""
    if loop.curve_rows and loop.runner.step == 0:
        loop.curve_point(0)
    return loop.run(*run_args, stop_at_step)
