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
