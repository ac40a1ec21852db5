# The gold of every target and leaderboard-ready prediction folders, in the XTREME layout
# (<task>/test-<lang>.<ext>) that google-research/xtreme's evaluate.py and `xstilts score` read.


rule labels:
    input:
        features=[spec["features"] for spec in cells.labels_spec(GRID).values()],
    output:
        labels=directory(paths.LABELS),
    log:
        "logs/labels.log",
    localrule: True
    conda:
        "../../envs/train.yaml"
    params:
        cell=cell_params(cells.labels_spec),
    script:
        "../scripts/write_labels.py"


rule submission:
    input:
        unpack(submission_inputs),
    output:
        folder=directory(paths.SUBMISSION),
        zip=paths.SUBMISSION_ZIP,
    log:
        "logs/submission/{model}/seed{seed}/{choice}.log",
    localrule: True
    conda:
        "../../envs/report.yaml"
    params:
        cell=cell_params(cells.submission_spec),
    script:
        "../scripts/submission.py"
