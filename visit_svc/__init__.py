"""The visit service: weekly visits, escalations and their deadlines, the work ledger (V1-V9)."""
