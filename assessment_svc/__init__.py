"""The assessment service: visit and escalation metrics, scores, performance pay (A1-A5)."""
