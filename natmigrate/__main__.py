"""Allow ``python -m natmigrate``."""

from natmigrate.cli.launch import main

main()
