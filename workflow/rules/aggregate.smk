# Tables and figures from the per-cell score files only.


rule aggregate:
    input:
        scores=GRID.scores_files(),
        examples=GRID.example_files(),
    output:
        **summary_report_outputs(),
    params:
        benchmarks=config["benchmarks"],
    log:
        "logs/aggregate.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/aggregate.py"
