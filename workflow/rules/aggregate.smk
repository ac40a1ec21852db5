# Tables and figures from the per-cell score files only.


def trained_model_dirs():
    """The main grid's intermediate and target model directories: their train_summary.json
    gives each run's English validation score and training curve (the report's training
    section)."""
    out = []
    for m in GRID.models:
        for s in GRID.seeds:
            for a in GRID.arms:
                if a in GRID.intermediate_arms:
                    out.append(
                        paths.fill(paths.INTERMEDIATE_MODEL, model=m, arm=a, seed=s)
                    )
                out += [GRID.validation_input(m, a, s, t) for t in GRID.targets]
    return list(dict.fromkeys(out))


rule aggregate:
    input:
        scores=GRID.scores_files(),
        examples=GRID.example_files(),
        models=trained_model_dirs(),
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
def provenance_cells(wildcards):
    from xstilts.features import source_paths

    kind = GRID.data_kind

    def data(task):
        return source_paths(task, kind, more_languages=GRID.more_languages(task))

    cells = []
    for m in GRID.models:
        for a in GRID.arms:
            read = sorted({p for t in GRID.arm_tasks(a) for p in data(t)})
            for s in GRID.seeds:
                for t in GRID.targets + GRID.retrieval_targets:
                    cells.append(
                        {
                            "scores": GRID.scores_file(m, a, s, t),
                            "model": m,
                            "model_dir": GRID.model_dir(m),
                            "model_spec": GRID.model_spec(m),
                            "data": sorted(set(read) | set(data(t))),
                        }
                    )
    return xgrid.canonical(cells)


rule provenance:
    input:
        scores=GRID.scores_files(),
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
        cells=provenance_cells,
    script:
        "../scripts/provenance.py"


# The config as validated (every default filled in), for the report's configuration section:
# written again whenever the config changes, so the report shows the config that produced it.
rule resolved_config:
    output:
        report(
            paths.RESOLVED_CONFIG,
            caption="../report/config.rst",
            category=section("Configuration"),
            labels={"result": "config.yaml"},
        ),
    localrule: True
    params:
        config=xgrid.canonical(GRID.config),
    run:
        import yaml

        Path(output[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(output[0]).write_text(yaml.safe_dump(GRID.config, sort_keys=False))
