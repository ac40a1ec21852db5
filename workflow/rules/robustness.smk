# Robustness (config key robustness): each trained target model of the chosen arms is scored on
# noisy and adversarial copies of its test inputs; one summary groups the drops by family.


rule evaluate_robustness:
    input:
        model="results/target/{model}/{arm}/seed{seed}/{target}/model",
        data=robustness_data,
    output:
        scores="results/robustness/{model}/{arm}/seed{seed}/{target}.json",
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
