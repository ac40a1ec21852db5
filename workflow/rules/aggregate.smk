# Tables and figures from the per-cell score files only.


rule aggregate:
    input:
        scores=GRID.scores_files(),
    output:
        long_parquet="results/summary/scores_long.parquet",
        long_csv="results/summary/scores_long.csv",
        table_csv="results/summary/arm_target.csv",
        table_md="results/summary/arm_target.md",
        table_tex="results/summary/arm_target.tex",
        gains_parquet="results/summary/gains_by_language.parquet",
        gains_csv="results/summary/gains_by_language.csv",
        heatmap="results/summary/gains_heatmap.png",
    log:
        "logs/aggregate.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    script:
        "../scripts/aggregate.py"
