"""The entry point of each process of a sharded training job, started by torchrun
(``sharding.launch``): join the process group, train, leave it."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import torch.distributed as dist

from xstilts.errors import UserError
from xstilts.training import sharding
from xstilts.training.stages import train_in_stages

log = logging.getLogger("xstilts")


def main(path: str) -> None:
    """Train with the arguments in the JSON file ``path``, as one process of the job."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    sharding.init_from_env()
    rank, _ = sharding.world()
    # one process speaks for the job; the others report only warnings and errors
    logging.getLogger("xstilts").setLevel(logging.INFO if rank == 0 else logging.WARNING)
    try:
        train_in_stages(**sharding.from_json(json.loads(Path(path).read_text())))
    except UserError as err:
        log.error("%s", err)
        sys.exit(1)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
