"""`python -m roster_svc`: runs the roster service on its configured port."""

from roster_svc.app import build
from sgz_runtime.server import main

if __name__ == "__main__":
    main("roster", build)
