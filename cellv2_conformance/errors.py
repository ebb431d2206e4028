"""The two errors every command maps to an exit code (ground level: no
imports, so the command line catches them without loading the rooms).

Each room's own error (DeployError, ScenarioError, InventoryError,
FaultError) derives from :class:`CannotRun`: bad input, an unusable cloud,
a missing binary -- one message naming what and where, exit 2.
"""


class CannotRun(Exception):
    """The command cannot do its job; the message says what, where and
    what to do (exit code 2)."""


class Interrupted(CannotRun):
    """Ctrl-C or SIGTERM stopped the command after it cleaned up (130)."""
