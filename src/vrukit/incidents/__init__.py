"""The response to a significant incident: what happened where, the services and partners near
it, a checklist with times and the surge offer's uptake. Never published (issue 33)."""
