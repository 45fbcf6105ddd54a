"""The assessment's stages, in order, with the titles progress views show: declared once, read by every view.

A module of its own so the desktop app can lay out its progress page without importing the engine.
"""

from __future__ import annotations

#: (stage name as the orchestrator reports it, title for a person), in the order they run.
STAGES: tuple[tuple[str, str], ...] = (
    ("collect", "Collect endpoints"),
    ("resolve", "Resolve names (DNS)"),
    ("attribute", "Attribute: country, network, operator"),
    ("probe", "Probe unknown endpoints (TLS, RDAP; if turned on)"),
    ("evaluate", "Evaluate rule packs"),
)
STAGE_NAMES: tuple[str, ...] = tuple(name for name, _ in STAGES)
