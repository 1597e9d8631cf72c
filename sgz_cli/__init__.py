"""The `sgz` command-line tool (Chinese by default; `sgz --lang en ...` for English)."""

from sgz_cli.early import bind_early_locale

# Help texts are rendered when the commands are defined: read --lang / SGZ_LANG first.
bind_early_locale()
