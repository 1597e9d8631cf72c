"""The `sgz` command. Each area adds its sub-commands here as a typer sub-app."""

from __future__ import annotations

from typing import Annotated

import typer

from sgz_cli import accounts, assess, audit, finance, hr, ledger, login, places, roster, status, up
from sgz_runtime.i18n import bind_locale, tr

app = typer.Typer(
    name="sgz",
    help=tr("sgz: the township social work station system (社工站).").render(),
    no_args_is_help=True,
)


@app.callback()
def _global_options(
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            envvar="SGZ_LANG",
            help=tr(
                "The language of the output and of the gateway's answers: zh-CN or en."
            ).render(),
        ),
    ] = "zh-CN",
) -> None:
    # Every command's output, and the Accept-Language its calls send, follow it.
    bind_locale(lang)


# Registrations: one line per command or sub-app, each defined in its own module.
app.command(
    "up",
    help=tr(
        "Start the five services and the gateway (SQLite unless <SERVICE>_DATABASE_URL is set), "
        "wait until all serve, restart any that dies, and stop everything on Ctrl-C."
    ).render(),
)(up.up)
app.command(
    "status",
    help=tr("Show each service and whether it serves; exit 0 when all do, 1 otherwise.").render(),
)(status.status)
app.add_typer(roster.app, name="roster")
app.add_typer(places.app, name="places")
app.add_typer(ledger.app, name="ledger")
app.command(
    "login",
    help=tr("Log in to the gateway and keep the session for the other sgz commands.").render(),
)(login.login)
app.command("logout", help=tr("Revoke the kept session and forget it.").render())(login.logout)
app.add_typer(accounts.app, name="accounts")
app.add_typer(assess.app, name="assess")
app.add_typer(finance.app, name="finance")
app.add_typer(hr.app, name="hr")
app.add_typer(audit.app, name="audit")
