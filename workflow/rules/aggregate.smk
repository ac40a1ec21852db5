# Tables and figures from the per-cell score files only.


rule aggregate:
    input:
        scores=files.scores_files(GRID),
        examples=files.example_files(GRID),
        models=files.trained_model_dirs(GRID),
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


# Which data, model and code every score came from (results/summary/provenance.json): a rule of
# its own, so that adding it to a finished grid runs this job alone; it reruns when a score file
# changes (a refetched split retrains its cells) or the grid's cells do.
rule provenance:
    input:
        scores=files.scores_files(GRID),
    output:
        provenance=report(
            paths.PROVENANCE,
            caption="../report/provenance.rst",
            category=section("Provenance"),
        ),
    log:
        "logs/provenance.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        cell=xgrid.canonical(files.provenance_cells(GRID)),
    script:
        "../scripts/provenance.py"


# The config as validated (every default filled in), for the report's configuration section:
# written again whenever the config changes, so the report shows the config that produced it.
rule resolved_config:
    output:
        config=report(
            paths.RESOLVED_CONFIG,
            caption="../report/config.rst",
            category=section("Configuration"),
            labels={"result": "config.yaml"},
        ),
    log:
        "logs/resolved_config.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        # in the config's own order (the page shows it as written); a reordering reruns this
        cell=json.dumps(GRID.config),
    script:
        "../scripts/resolved_config.py"
