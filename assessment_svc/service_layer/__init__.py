"""Use cases of the assessment service and its unit of work."""
