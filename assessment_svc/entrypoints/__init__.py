"""The assessment's gRPC entrypoint: a thin servicer and the proto conversions."""
