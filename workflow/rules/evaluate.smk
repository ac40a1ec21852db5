# One job per trained target model: it loads the model once and scores every language.


rule evaluate_target:
    input:
        model="results/target/{model}/{arm}/seed{seed}/{target}/model",
        features="results/features/{model}/{target}",
    output:
        predictions=directory(
            "results/eval/{model}/{arm}/seed{seed}/predictions/{target}"
        ),
        scores="results/eval/{model}/{arm}/seed{seed}/scores/{target}.json",
        examples="results/eval/{model}/{arm}/seed{seed}/examples/{target}.parquet",
    log:
        "logs/evaluate_target/{model}/{arm}/seed{seed}/{target}.log",
    benchmark:
        "benchmarks/evaluate_target/{model}/{arm}/seed{seed}/{target}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=evaluation_cell,
    script:
        "../scripts/evaluate.py"


# BUCC and Tatoeba: no training; one job per arm's encoder (the pretrained model for the
# baseline) embeds, mines or searches, and scores every language.
rule evaluate_retrieval:
    input:
        encoder=arm_encoder,
        features="results/features/{model}/{rtarget}",
    output:
        predictions=directory(
            "results/eval/{model}/{arm}/seed{seed}/predictions/{rtarget}"
        ),
        scores="results/eval/{model}/{arm}/seed{seed}/scores/{rtarget}.json",
        examples="results/eval/{model}/{arm}/seed{seed}/examples/{rtarget}.parquet",
    log:
        "logs/evaluate_retrieval/{model}/{arm}/seed{seed}/{rtarget}.log",
    benchmark:
        "benchmarks/evaluate_retrieval/{model}/{arm}/seed{seed}/{rtarget}.tsv"
    conda:
        "../../envs/train.yaml"
    params:
        cell=retrieval_cell,
    script:
        "../scripts/evaluate_retrieval.py"
