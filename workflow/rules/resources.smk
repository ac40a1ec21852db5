# Inputs every cell reads: pretrained models and datasets, fetched once from the Hugging Face
# Hub by local rules (login nodes have internet; compute nodes often do not), or built for the
# demo into the same layout, so both go through one code path. The demo's builders stand in for
# the fetch rules and are local rules too (seconds of CPU each; no cluster job for them).


# `snakemake --cores 1 fetch` on a machine with internet (a login node) stages every model and
# dataset the config needs into resources/; every other job then runs offline from there.
rule fetch:
    input:
        GRID.resource_files(),
    localrule: True


# A Hub model's revision (models.<name>.revision, else the pin in src/xstilts/modeling/fetch.py)
# is the params of a job of its own, whose file the model's fetch reads: a changed revision
# fetches the model again. A model folder fetched before xstilts recorded what it fetched (no
# manifest in it) does not read it, so a grid finished before the pins refetches nothing.
MODEL_PIN = "resources/models/{model}.pin.json"


def model_pin(wildcards):
    from xstilts.modeling.fetch import model_revision

    spec = GRID.model_spec(wildcards.model)
    revision = model_revision(spec["hub_id"], spec.get("revision"))
    return xgrid.canonical({"hub_id": spec["hub_id"], "revision": revision or "main"})


def fetch_model_pin_file(wildcards):
    from xstilts.modeling.fetch import MANIFEST

    folder = Path(GRID.model_dir(wildcards.model))
    if folder.exists() and not (folder / MANIFEST).exists():
        return []
    return paths.fill(MODEL_PIN, model=wildcards.model)


rule pin_model:
    output:
        pin=MODEL_PIN,
    log:
        "logs/pin_model/{model}.log",
    wildcard_constraints:
        model=_alternatives(HUB_MODELS),
    localrule: True
    params:
        pin=model_pin,
    message:
        "pin the model {wildcards.model} at {params.pin}"
    run:
        Path(output.pin).write_text(params.pin + "\n")


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
        spec=model_spec,
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
        spec=model_spec,
    script:
        "../scripts/build_demo_model.py"


# A Hub repository's entry in src/xstilts/data/hub.py (its pinned revision): the params of a job
# of its own, whose file each fetch of the repository's splits reads, so a changed entry fetches
# that repository's splits again and nothing else. A split fetched before xstilts recorded what
# it fetched (no manifest beside it) does not read it: a grid finished before the pins reruns
# nothing (delete the split's parquet file to fetch it at the pin).
def hub_pin(wildcards):
    from xstilts.data.hub import pin

    return xgrid.canonical(pin(wildcards.repo))


def fetch_pin_file(wildcards):
    from xstilts.data.sources import manifest_path

    data = Path(
        paths.fill(
            paths.DATASET,
            root=paths.DATA_ROOTS["hub"],
            repo=wildcards.repo,
            subset=wildcards.subset,
            split=wildcards.split,
        )
    )
    if data.exists() and not manifest_path(data).exists():
        return []
    return paths.fill(HUB_PIN, repo=wildcards.repo)


HUB_PIN = paths.DATA_ROOTS["hub"] + "/{repo}/pin.json"


rule pin_dataset:
    output:
        pin=HUB_PIN,
    log:
        "logs/pin_dataset/{repo}.log",
    wildcard_constraints:
        repo=HUB_REPO,
    localrule: True
    params:
        pin=hub_pin,
    message:
        "pin the dataset {wildcards.repo} at {params.pin}"
    run:
        Path(output.pin).write_text(params.pin + "\n")


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
        spec=demo_data_spec,
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
        source=local_source,
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
        spec=demo_data_spec,
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
        spec=prepare_spec,
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
        task=_alternatives(sorted({t for t, _ in GRID.language_data_used()})),
        lang=r"[a-z]+",
    conda:
        "../../envs/train.yaml"
    params:
        spec=language_spec,
    script:
        "../scripts/prepare.py"
