# One job per trained target model: it loads the model once and scores every language.


rule evaluate_target:
    input:
        model=target_model,
        features=paths.rename(paths.FEATURES, task="target"),
    output:
        predictions=directory(paths.PREDICTIONS),
        scores=paths.SCORES,
        examples=paths.EXAMPLES,
    log:
        "logs/evaluate_target/{model}/{arm}/seed{seed}/{target}.log",
    benchmark:
        "benchmarks/evaluate_target/{model}/{arm}/seed{seed}/{target}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.evaluation_cell),
    script:
        "../scripts/evaluate.py"


# BUCC and Tatoeba: no training; one job per arm's encoder (the pretrained model for the
# baseline) embeds, mines or searches, and scores every language.
rule evaluate_retrieval:
    input:
        encoder=arm_encoder,
        features=paths.rename(paths.FEATURES, task="rtarget"),
    output:
        predictions=directory(paths.rename(paths.PREDICTIONS, target="rtarget")),
        scores=paths.rename(paths.SCORES, target="rtarget"),
        examples=paths.rename(paths.EXAMPLES, target="rtarget"),
    log:
        "logs/evaluate_retrieval/{model}/{arm}/seed{seed}/{rtarget}.log",
    benchmark:
        "benchmarks/evaluate_retrieval/{model}/{arm}/seed{seed}/{rtarget}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.retrieval_cell, target="rtarget"),
    script:
        "../scripts/evaluate_retrieval.py"
