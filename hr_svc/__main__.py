"""`python -m hr_svc`: runs the HR service on its configured port."""

from hr_svc.app import build
from sgz_runtime.server import main

if __name__ == "__main__":
    main("hr", build)
