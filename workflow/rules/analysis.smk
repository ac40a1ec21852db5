# Research analyses (xstilts.analyses, one plug-in module each): their per-cell jobs, then one
# summary rule per analysis.


# One rule per analysis that has jobs of its own, one job per cell (CELLS: its rule name, the
# cell's wildcards, its params and inputs): robustness (config key robustness: each trained
# target model of the chosen arms scored on noisy and adversarial copies of its test inputs,
# rule evaluate_robustness) and task similarity (config key similarity: every task embedded by
# the pretrained encoder, rule task_similarity).
for analysis in analyses.with_cells():
    jobs = analysis.CELLS

    rule:
        name:
            jobs.rule
        input:
            unpack(analysis_cell_inputs(jobs)),
        output:
            **analyses.cell_outputs(analysis.__name__, jobs),
        log:
            f"logs/{jobs.rule}/{jobs.key}.log",
        benchmark:
            f"benchmarks/{jobs.rule}/{jobs.key}.tsv"
        conda:
            f"../../envs/{jobs.env}.yaml"
        params:
            cell=analysis_cell_params(jobs),
        script:
            "../scripts/analysis_cell.py"


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
