# Research analyses on the per-cell outputs: robustness, task similarity, task order and
# training length.

# Robustness (config key robustness): each trained target model of the chosen arms is scored on
# noisy and adversarial copies of its test inputs; one summary groups the drops by family.


rule evaluate_robustness:
    input:
        model=paths.TARGET_MODEL,
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
        cell=robustness_cell,
    script:
        "../scripts/evaluate_robustness.py"


rule robustness_summary:
    input:
        results=GRID.robustness_files(),
    output:
        **robustness_report_outputs(),
    log:
        "logs/robustness_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/robustness_summary.py"


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
        cell=similarity_cell,
    script:
        "../scripts/task_similarity.py"


rule similarity_summary:
    input:
        similarity=GRID.similarity_files(),
        gains=xgrid.summary_outputs()["gains_csv"],
        robustness=robustness_long_csv(),
    output:
        **similarity_report_outputs(),
    log:
        "logs/similarity_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/similarity_summary.py"


# Task order (config key sequences): each sequence arm against the baseline and its tasks
# trained alone; every two orders of the same tasks compared on every sequence target.
rule sequence_summary:
    input:
        scores=lambda wc: [c["scores"] for c in sequence_spec()["cells"]],
        examples=lambda wc: [c["examples"] for c in sequence_spec()["cells"]],
    output:
        **sequence_report_outputs(),
    log:
        "logs/sequence_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        spec=lambda wc: xgrid.canonical(sequence_spec()),
    script:
        "../scripts/sequence_summary.py"


# Multilingual intermediate data (config keys translated and mlm): each arm against the
# baseline and its task trained on English alone, gains split by languages seen or not.
rule multilingual_summary:
    input:
        scores=lambda wc: [c["scores"] for c in multilingual_spec()["cells"]],
        models=lambda wc: list(multilingual_spec()["model_dirs"].values()),
    output:
        **multilingual_outputs(),
    log:
        "logs/multilingual_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        spec=lambda wc: xgrid.canonical(multilingual_spec()),
    script:
        "../scripts/multilingual_summary.py"


# Training length (config key training_length): learning curves of target training per
# intermediate budget, the steps to 95 % of the final score, and test scores by budget.
rule training_length_summary:
    input:
        models=lambda wc: [c["model_dir"] for c in training_length_spec()["cells"]],
        scores=lambda wc: [c["scores"] for c in training_length_spec()["cells"]],
    output:
        **training_length_report_outputs(),
    log:
        "logs/training_length_summary.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        spec=lambda wc: xgrid.canonical(training_length_spec()),
    script:
        "../scripts/training_length_summary.py"
