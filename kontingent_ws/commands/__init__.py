"""Subcommands of the ``kontingent`` command: one module each, exposing ``register(subparsers)``.

``register`` adds its parser and sets ``handler`` (``(argparse.Namespace) -> int``, the exit
status) with ``set_defaults``; ``kontingent_ws.cli.COMMAND_MODULES`` lists the modules.
"""
