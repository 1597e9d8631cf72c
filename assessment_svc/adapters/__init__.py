"""Adapters of the assessment service: its tables and repositories, and the ports (with gRPC
adapters) to the visit, HR and finance services."""
