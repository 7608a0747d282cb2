"""Allow ``python -m natmigrate``."""

from natmigrate.cli.app import main

main()
