# The two training phases. One engine (xstilts.training) serves both; checkpoints for resume live
# under results/checkpoints/, outside the declared outputs (Snakemake deletes those before a
# job starts), and are removed when the job succeeds. GPU, partition and time requests live in
# profiles (set-resources), not here.


# A sequence arm's later stage starts from the previous stage's encoder (stage_encoder).
rule train_intermediate:
    input:
        encoder=stage_encoder,
        features=intermediate_features,
        by_language=language_features,
    output:
        model=directory(paths.INTERMEDIATE_MODEL),
    log:
        "logs/train_intermediate/{model}/{arm}/seed{seed}.log",
    benchmark:
        "benchmarks/train_intermediate/{model}/{arm}/seed{seed}.tsv"
    wildcard_constraints:
        arm=_alternatives(GRID.intermediate_arms),
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.intermediate_cell),
        checkpoint_dir=paths.INTERMEDIATE_CHECKPOINTS,
    script:
        "../scripts/train.py"


rule train_target:
    input:
        encoder=arm_encoder,
        features=[paths.rename(paths.FEATURES, task="target")],
    output:
        model=directory(paths.TARGET_MODEL),
    log:
        "logs/train_target/{model}/{arm}/seed{seed}/{target}.log",
    benchmark:
        "benchmarks/train_target/{model}/{arm}/seed{seed}/{target}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.target_cell),
        checkpoint_dir=paths.TARGET_CHECKPOINTS,
    script:
        "../scripts/train.py"


# A finished training run's model stays in its checkpoint folder until Snakemake has recorded
# the job's success (xstilts.training.finished): a job orphaned by a killed Snakemake is not
# trained again. At the workflow's end, those Snakemake has accepted go.
onsuccess:
    from xstilts.training.finished import sweep

    sweep()


onerror:
    from xstilts.training.finished import sweep

    sweep()
