"""Graph drawing and training diagnostics (to come with the visualization issue)."""
