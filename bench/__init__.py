"""`make bench`: the benchmark runner, each figure side by side with its baseline."""
