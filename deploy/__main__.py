"""`python -m deploy`: runs the whole system on this machine; the same as `sgz up`."""

import sys

from deploy.stack import run
from sgz_runtime.config import settings

if __name__ == "__main__":
    sys.exit(run(settings()))
