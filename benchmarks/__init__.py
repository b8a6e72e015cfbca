"""Side-by-side timings of tinygrad_edu and PyTorch CPU: ``python -m benchmarks``."""
