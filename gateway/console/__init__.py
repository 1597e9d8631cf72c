"""The web console: static pages (plain HTML and small ES modules) served by the gateway at `/`,
using only the public HTTP API. Its sentences come from the one message catalog (texts.py)."""
