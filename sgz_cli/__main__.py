"""`python -m sgz_cli`: the `sgz` command without its installed script."""

from sgz_cli.main import app

if __name__ == "__main__":
    app(prog_name="sgz")
