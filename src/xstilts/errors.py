"""Errors a user can cause; the workflow prints their message (one sentence) with no traceback."""


class UserError(Exception):
    """Bad config, missing or corrupt input, no GPU when one is asked for: say what and the fix."""
