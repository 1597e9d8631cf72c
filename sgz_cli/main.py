"""The `sgz` command. Each area adds its sub-commands here as a typer sub-app."""

from __future__ import annotations

import typer

from sgz_cli import accounts, assess, audit, finance, hr, ledger, login, roster, status, up

app = typer.Typer(
    name="sgz",
    help="sgz: the township social work station system (社工站).",
    no_args_is_help=True,
)

# Registrations: one line per command or sub-app, each defined in its own module.
app.command("up")(up.up)
app.command("status")(status.status)
app.add_typer(roster.app, name="roster")
app.add_typer(ledger.app, name="ledger")
app.command("login")(login.login)
app.command("logout")(login.logout)
app.add_typer(accounts.app, name="accounts")
app.add_typer(assess.app, name="assess")
app.add_typer(finance.app, name="finance")
app.add_typer(hr.app, name="hr")
app.add_typer(audit.app, name="audit")
