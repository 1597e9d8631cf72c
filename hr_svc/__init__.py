"""The HR service: staffing, recruitment, contracts, certificates, training (rules H1-H10)."""
