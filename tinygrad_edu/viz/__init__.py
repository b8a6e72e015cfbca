"""Graph drawing (Graphviz), the interactive explorer (one self-contained HTML page) and training
diagnostics (matplotlib, the ``plots`` extra)."""

from .diagnostics import (
                          Monitor,
                          percent_saturated,
                          plot_activations,
                          plot_decision_boundary,
                          plot_grad_data_ratio,
                          plot_gradients,
                          plot_history,
                          plot_update_ratio,
)
from .explorer import Explorer, explore
from .graph import GraphvizNotFound, draw_graph, save_graph

__all__ = ["draw_graph", "save_graph", "GraphvizNotFound", "explore", "Explorer",
           "Monitor", "percent_saturated", "plot_activations", "plot_gradients", "plot_grad_data_ratio",
           "plot_update_ratio", "plot_history", "plot_decision_boundary"]
