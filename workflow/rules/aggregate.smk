# Tables and figures from the per-cell score files only.


rule aggregate:
    input:
        scores=GRID.scores_files(),
        examples=GRID.example_files(),
    output:
        **summary_report_outputs(),
    log:
        "logs/aggregate.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        benchmarks=GRID.config["benchmarks"],
        # XLM-R Large on real data: set beside the published X-STILTs numbers
        published=published_models(),
    script:
        "../scripts/aggregate.py"
