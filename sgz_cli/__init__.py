"""The `sgz` command: the command-line front end, talking to the gateway over HTTP."""
