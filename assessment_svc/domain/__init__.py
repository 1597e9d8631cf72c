"""The assessment's pure rules (A1-A5): numpy arrays in, arrays out; no I/O, no grpc, no SQL."""
