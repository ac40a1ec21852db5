# xstilts: intermediate-task training → target fine-tuning → zero-shot evaluation, as a grid.
# This file only includes; the grid is built in workflow/rules/common.smk from the config.
from snakemake.utils import min_version

min_version("9.0")


# The paper grid by default; a config given with --configfile replaces it (not merged into it).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/resources.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/submission.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
