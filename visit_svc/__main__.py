"""`python -m visit_svc`: runs the visit service on its configured port."""

from sgz_runtime.server import main
from visit_svc.app import build

if __name__ == "__main__":
    main("visit", build)
