"""Training, one engine for both phases, split the way jiant splits it:

- ``loop``: the metarunner (when to log, checkpoint, validate, log a curve, stop; what a run
  leaves) and ``train``, the entry point;
- ``runner``: one run's state and its optimizer step; ``batches``: length-grouped batches and
  the task sampler; ``optim``: AdamW groups, the schedule, seeds;
- ``checkpoints``: a run's identity, atomic checkpoints, stop signals; ``selection``: model
  selection on English validation; ``curves``: learning curves; ``stages``: staged fine-tuning;
- ``sharding`` and ``launch``: FSDP across the GPUs of one job, under torchrun;
- ``entry``: the train_intermediate / train_target jobs' entry point (a cell, its inputs and
  outputs, this machine's options), which reads the cell's settings once as a frozen
  ``xstilts.settings.Training``: the engine reads that object, never the raw params;
- ``inference``: the device, autocast and a model's logits, for training's validation,
  evaluation and the analyses.
"""

__all__ = ["train", "train_in_stages"]


def __getattr__(name: str):
    """``train`` and ``train_in_stages`` load torch on first use: the torch-free parts
    (``batches``' step count, which the cost model shares) import without it."""
    if name == "train":
        from xstilts.training.loop import train

        return train
    if name == "train_in_stages":
        from xstilts.training.stages import train_in_stages

        return train_in_stages
    raise AttributeError(f"module 'xstilts.training' has no attribute {name!r}")
