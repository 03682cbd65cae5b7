"""User-facing errors: one line that names the problem and the fix."""


class GanpriorsError(Exception):
    """An error caused by bad input (params, data, checkpoints); printed as one line, exit 2."""
