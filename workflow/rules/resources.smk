# Inputs every cell reads: pretrained models and datasets, fetched once from the Hugging Face
# Hub by local rules (login nodes have internet; compute nodes often do not), or built for the
# demo into the same layout, so both go through one code path. The demo's builders stand in for
# the fetch rules and are local rules too (seconds of CPU each; no cluster job for them).


# `snakemake --cores 1 fetch` on a machine with internet (a login node) stages every model and
# dataset the config needs into resources/; every other job then runs offline from there.
rule fetch:
    input:
        files.resource_files(GRID),
    localrule: True


rule pin_model:
    output:
        pin=paths.MODEL_PIN,
    log:
        "logs/pin_model/{model}.log",
    wildcard_constraints:
        model=_alternatives(HUB_MODELS),
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        cell=model_pin,
    message:
        "pin the model {wildcards.model} at {params.cell}"
    shell:
        "echo {params.cell:q} > {output.pin}"


rule fetch_model:
    input:
        pin=fetch_model_pin_file,
    output:
        model=directory(paths.MODEL),
    log:
        "logs/fetch_model/{model}.log",
    wildcard_constraints:
        model=_alternatives(HUB_MODELS),
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(axes.model_spec),
    message:
        "fetch the model {wildcards.model} at the revision {input.pin} pins"
    script:
        "../scripts/fetch_model.py"


rule build_demo_model:
    output:
        model=directory(paths.MODEL),
    log:
        "logs/build_demo_model/{model}.log",
    wildcard_constraints:
        model=_alternatives(DEMO_MODELS),
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(axes.model_spec),
    script:
        "../scripts/build_demo_model.py"


rule pin_dataset:
    output:
        pin=paths.HUB_PIN,
    log:
        "logs/pin_dataset/{repo}.log",
    wildcard_constraints:
        repo=HUB_REPO,
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        cell=hub_pin,
    message:
        "pin the dataset {wildcards.repo} at {params.cell}"
    shell:
        "echo {params.cell:q} > {output.pin}"


rule fetch_dataset:
    input:
        pin=fetch_pin_file,
    output:
        data=paths.fill(
            paths.DATASET,
            root=paths.DATA_ROOTS["hub"],
            repo="{repo}",
            subset="{subset}",
            split="{split}",
        ),
    log:
        "logs/fetch_dataset/{repo}/{subset}/{split}.log",
    wildcard_constraints:
        repo=HUB_REPO,
        subset=r"[^/]+",
        split=r"[^/]+",
    localrule: True
    conda:
        "../../envs/train.yaml"
    message:
        "fetch {wildcards.repo} ({wildcards.subset}, {wildcards.split}) at the revision "
        "{input.pin} pins"
    script:
        "../scripts/fetch_dataset.py"


rule build_demo_dataset:
    output:
        data=paths.fill(
            paths.DATASET,
            root=paths.DATA_ROOTS["demo"],
            repo="{repo}",
            subset="{subset}",
            split="{split}",
        ),
    log:
        "logs/build_demo_dataset/{repo}/{subset}/{split}.log",
    wildcard_constraints:
        repo=HUB_REPO,
        subset=r"[^/]+",
        split=r"[^/]+",
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.demo_data_spec),
    script:
        "../scripts/build_demo_dataset.py"


# Datasets the Hub does not serve as the grid needs them (CCGbank, the BUCC release, ...) are
# read from the folder the config names in data.local.<name> (the demo writes its own copy in
# the same file format): an import reruns when the content of the files it reads changes.
rule import_local_dataset:
    input:
        directory=demo_local_dir,
    output:
        data="{root}/local/{name}/{subset}/{split}.parquet",
    log:
        "logs/import_local_dataset/{root}/{name}/{subset}/{split}.log",
    wildcard_constraints:
        root="resources/datasets|resources/demo/datasets",
        name=r"[^/]+",
        subset=r"[^/]+",
        split=r"[^/]+",
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=local_source,
    script:
        "../scripts/import_local_dataset.py"


rule build_demo_local:
    output:
        directory=directory(paths.DEMO_LOCAL),
    log:
        "logs/build_demo_local/{name}.log",
    wildcard_constraints:
        name=r"[^/]+",
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.demo_data_spec),
    script:
        "../scripts/build_demo_local.py"


rule prepare:
    input:
        model=model_dir,
        data=prepare_data,
    output:
        features=directory(paths.FEATURES),
    log:
        "logs/prepare/{model}/{task}.log",
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.prepare_params),
    script:
        "../scripts/prepare.py"


rule prepare_language:
    input:
        model=model_dir,
        data=language_data,
    output:
        features=directory(paths.LANGUAGE_FEATURES),
    log:
        "logs/prepare/{model}/by_language/{task}.{lang}.log",
    wildcard_constraints:
        task=_alternatives(sorted({t for t, _ in axes.language_data_used(GRID)})),
        lang=r"[a-z]+",
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.prepare_params, language="lang"),
    script:
        "../scripts/prepare.py"
