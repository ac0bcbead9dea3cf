"""Publishing: the disclosure-control layer and the open-access SNA website."""

from vrukit.disclosure import Derived, Policy, Protected, Release, Table, audit, protect

__all__ = ["Derived", "Policy", "Protected", "Release", "Table", "audit", "protect"]
