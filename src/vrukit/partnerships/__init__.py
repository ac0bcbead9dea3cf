"""Boards, networks and their meetings, decisions and actions (issue 33)."""
