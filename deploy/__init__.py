"""Running sgz: one command on one machine, and manifests for a cluster."""
