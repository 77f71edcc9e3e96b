"""The `signals` command-line tool: send, read and list signals, render charts, manage producers."""
