"""The seed report's referral pathways, shipped as data (``pathways.json``): custody and A&E
reachable moments, IRIS, sports diversion, resettlement with its nine needs, County Lines
Rescue & Recovery and parents' peer support. Edit a copy to name your own providers and load it
with ``vrukit referrals pathways FILE``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PATHWAYS_FILE", "RESETTLEMENT_NEEDS"]

PATHWAYS_FILE = Path(__file__).with_name("pathways.json")
#: The nine resettlement needs.
RESETTLEMENT_NEEDS = (
    "accommodation", "education, training and employment", "health", "drugs", "alcohol",
    "finance, benefit and debt", "children and families", "attitudes, thinking and behaviour",
    "women-specific needs",
)  # fmt: skip
