"""Commissioning: funding rounds from application to award, with the panel's conflicts, scores,
moderation and ranking, the expected effect of what is funded (the YEF Toolkit's estimates
against cost), and the payment schedule an award sets up in the registry."""
