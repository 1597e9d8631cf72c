"""The roster service: towns, villages, persons and their history (rules R1-R6, S1-S2)."""
