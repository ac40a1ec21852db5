"""The files the grid's rules read and write, listed per rule: every input a summary reads and
every target ``rule all`` asks for (the patterns are in paths.py)."""

from __future__ import annotations

from xstilts.grid import paths


class Files:
    """Lists of the grid's files (a mixin of ``Grid``)."""

    config: dict

    def language_dirs(self, model: str, arm: str) -> list[str]:
        """The prepared training data by language an arm reads (none for most arms)."""
        return [self.language_dir(model, task, lang) for task, lang in self._language_sets(arm)]

    @staticmethod
    def language_dir(model: str, task: str, language: str) -> str:
        return paths.fill(paths.LANGUAGE_FEATURES, model=model, task=task, lang=language)

    @staticmethod
    def model_dir(model: str) -> str:
        return paths.fill(paths.MODEL, model=model)

    @staticmethod
    def features_dir(model: str, task: str) -> str:
        return paths.fill(paths.FEATURES, model=model, task=task)

    def resource_files(self) -> list[str]:
        """Every model directory and Hub dataset file the grid reads: what `snakemake fetch`
        stages (a dataset read from data.local is imported by the run that needs it)."""
        from xstilts.features import source_paths

        data = {
            p
            for t in self.tasks_used()
            for p in source_paths(t, self.data_kind, more_languages=self.more_languages(t))
        }
        for task, lang in self.language_data_used():
            data.update(source_paths(task, self.data_kind, lang))
        local = f"{paths.DATA_ROOTS[self.data_kind]}/{paths.LOCAL_PREFIX}"
        return [self.model_dir(m) for m in self.models] + sorted(
            p for p in data if not p.startswith(local)
        )

    def scores_files(self) -> list[str]:
        return [
            self.scores_file(m, a, s, t)
            for m in self.models
            for a in self.arms
            for s in self.seeds
            for t in self.targets + self.retrieval_targets
        ]

    @staticmethod
    def scores_file(model: str, arm: str, seed: int | str, target: str) -> str:
        return paths.fill(paths.SCORES, model=model, arm=arm, seed=seed, target=target)

    def research_cells(self, arms: list[str], targets: list[str]) -> list[dict]:
        """Per (model, arm, seed, target) of these arms on these targets: the score file, its
        per-example statistics and the target model directory (main-grid arms included)."""
        cells = set(self.target_cells())
        return [
            {
                "model": m,
                "arm": a,
                "seed": s,
                "target": t,
                "scores": self.scores_file(m, a, s, t),
                "examples": self.examples_file(self.scores_file(m, a, s, t)),
                "model_dir": self.target_model_dir(m, a, s, t),
            }
            for m in self.models
            for a in arms
            for s in self.seeds
            for t in targets
            if (a, t) in cells
        ]

    def example_files(self) -> list[str]:
        """The per-example statistics of every score file (same order), for bootstrap CIs."""
        return [self.examples_file(f) for f in self.scores_files()]

    @staticmethod
    def examples_file(scores_file: str) -> str:
        return scores_file.replace("/scores/", "/examples/").removesuffix(".json") + ".parquet"

    def predictions_dir(self, model: str, arm: str, seed: int | str, target: str) -> str:
        return paths.fill(paths.PREDICTIONS, model=model, arm=arm, seed=seed, target=target)

    def validation_file(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """Where an arm's validation score on a target is: the training summary of a trained
        target (in its model directory), the score file (BUCC's dev scores) of a retrieval
        task."""
        if target in self.config["retrieval"]:
            return paths.fill(paths.SCORES, model=model, arm=arm, seed=seed, target=target)
        return f"{self.target_model_dir(model, arm, seed, target)}/train_summary.json"

    def validation_input(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """The job output that holds ``validation_file`` (a file, or the model directory)."""
        if target in self.config["retrieval"]:
            return self.validation_file(model, arm, seed, target)
        return self.target_model_dir(model, arm, seed, target)

    def target_model_dir(self, model: str, arm: str, seed: int | str, target: str) -> str:
        """The fine-tuned model a target cell is tested with: its own ``train_target`` job's,
        or the one it shares with a target trained the same way (``training_target``)."""
        target = self.training_target(model, arm, seed, target)
        return paths.fill(paths.TARGET_MODEL, model=model, arm=arm, seed=seed, target=target)

    def submission_files(self) -> list[str]:
        return [paths.LABELS] + [
            paths.fill(paths.SUBMISSION, model=m, seed=s, choice=choice) + ".zip"
            for m in self.models
            for s in self.seeds
            for choice in self.config["submission"]["arms"]
        ]

    def trained_model_dirs(self) -> list[str]:
        """The main grid's intermediate and target model directories: their train_summary.json
        gives each run's English validation score and training curve (the report's training
        section)."""
        out = []
        for m in self.models:
            for s in self.seeds:
                for a in self.arms:
                    if a in self.intermediate_arms:
                        out.append(paths.fill(paths.INTERMEDIATE_MODEL, model=m, arm=a, seed=s))
                    out += [self.validation_input(m, a, s, t) for t in self.targets]
        return list(dict.fromkeys(out))

    def provenance_cells(self) -> list[dict]:
        """For every score file of the main grid: its model and every data file its arm and
        target read (the provenance rule's params)."""
        from xstilts.features import source_paths

        def data(task):
            return source_paths(task, self.data_kind, more_languages=self.more_languages(task))

        cells = []
        for m in self.models:
            for a in self.arms:
                read = sorted({p for t in self.arm_tasks(a) for p in data(t)})
                for s in self.seeds:
                    for t in self.targets + self.retrieval_targets:
                        cells.append({
                            "scores": self.scores_file(m, a, s, t), "model": m,
                            "model_dir": self.model_dir(m), "model_spec": self.model_spec(m),
                            "data": sorted(set(read) | set(data(t))),
                        })  # fmt: skip
        return cells
