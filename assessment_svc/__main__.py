"""`python -m assessment_svc`: runs the assessment service on its configured port."""

from assessment_svc.app import build
from sgz_runtime.server import main

if __name__ == "__main__":
    main("assessment", build)
