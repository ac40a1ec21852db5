# Research analyses on the per-cell outputs: robustness, task similarity, task order and
# training length.

# Robustness (config key robustness): each trained target model of the chosen arms is scored on
# noisy and adversarial copies of its test inputs; one summary groups the drops by family.


rule evaluate_robustness:
    input:
        model=target_model,
        data=robustness_data,
    output:
        scores=paths.ROBUSTNESS,
    log:
        "logs/evaluate_robustness/{model}/{arm}/seed{seed}/{target}.log",
    benchmark:
        "benchmarks/evaluate_robustness/{model}/{arm}/seed{seed}/{target}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.robustness_cell),
    script:
        "../scripts/evaluate_robustness.py"


# Task similarity (config key similarity): every task embedded by the pretrained encoder, then
# related to the gains and the robustness of each single-task arm, per language family.
rule task_similarity:
    input:
        encoder=model_dir,
        features=similarity_features,
    output:
        similarity=paths.SIMILARITY,
    log:
        "logs/task_similarity/{model}.log",
    benchmark:
        "benchmarks/task_similarity/{model}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.similarity_cell),
    script:
        "../scripts/task_similarity.py"


# One summary rule per analysis (xstilts.analyses, in the order of the report): robustness,
# similarity, task order (config key sequences: each sequence arm against the baseline and its
# tasks alone, every two orders of the same tasks compared), training length (learning curves
# per intermediate budget, steps to 95 % of the final score) and multilingual intermediate data
# (config keys translated and mlm: gains split by languages seen or not). Each module says what
# its summary reads, writes and needs.
for analysis in analyses.all_analyses():

    rule:
        name:
            f"{analysis.NAME}_summary"
        input:
            **analysis.inputs(GRID),
        output:
            **reported(analysis),
        log:
            f"logs/{analysis.NAME}_summary.log",
        localrule: True
        conda:
            "../../envs/report.yaml"
        params:
            **analysis_params(analysis),
        script:
            "../scripts/analysis_summary.py"
