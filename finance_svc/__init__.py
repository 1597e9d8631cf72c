"""The finance service: ring-fenced subsidies, disbursements, the double-entry ledger (F1-F5)."""
