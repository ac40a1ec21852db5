"""Errors a user can cause; the workflow prints their message (one sentence) with no traceback."""


class UserError(Exception):
    """Bad config, missing or corrupt input, no GPU when one is asked for: say what and the fix."""


class ConfigError(UserError):
    """A user error in the config: the message is one sentence naming the key and the fix."""


FETCH_COMMAND = "snakemake --cores 1 fetch"


def download_error(what: str, err: Exception) -> UserError:
    """The one sentence for a download that failed: what, why, and the command that stages it."""
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return UserError(
        f"could not download {what} from the Hugging Face Hub ({reason}); on a machine with "
        f"internet, run `{FETCH_COMMAND}` in this directory (or copy its resources/ folder "
        "here), then run the workflow again"
    )
