"""Optimizers (to come with the nn/optim issue)."""
