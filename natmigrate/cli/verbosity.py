"""``--debug``/``--verbose``: how much a command that talks to Azure logs, passed along explicitly."""

from __future__ import annotations

import sys

import msgspec

# The name of the handler natmigrate puts on the root logger; a later configuration replaces it
# (tests run many commands in one process, each with its own stderr).
HANDLER_NAME = "natmigrate-cli"


class Verbosity(msgspec.Struct, frozen=True):
    """What ``--debug`` and ``--verbose`` asked for."""

    debug: bool = False
    verbose: bool = False
    only_errors: bool = False  # --only-show-errors: warnings are not shown

    @property
    def show_writes(self) -> bool:
        """Print every write request as it is sent."""
        return self.debug or self.verbose

    def configure_logging(self) -> None:
        """Log to stderr at the chosen level; the Azure SDK's logs only with ``--debug``."""
        import logging  # (here: the commands that never log, check and detect, start without it)

        quiet = logging.ERROR if self.only_errors else logging.WARNING
        level = logging.DEBUG if self.debug else logging.INFO if self.verbose else quiet
        root = logging.getLogger()
        for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
            root.removeHandler(old)
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
        # azure-core's HttpLoggingPolicy redacts headers; network tracing (which would not) stays off.
        logging.getLogger("azure").setLevel(logging.INFO if self.debug else logging.WARNING)
        logging.getLogger("urllib3").setLevel(logging.WARNING)
