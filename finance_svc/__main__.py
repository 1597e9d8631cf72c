"""`python -m finance_svc`: runs the finance service on its configured port."""

from finance_svc.app import build
from sgz_runtime.server import main

if __name__ == "__main__":
    main("finance", build)
