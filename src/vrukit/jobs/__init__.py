"""One module per verb of the ``vrukit`` command: ``analyse``, ``risk``, ``istv``, ``evaluate``,
``sna`` and ``demo``. A job reads the store, calls ``vrukit.analysis``, writes its files through
``vrukit.publish`` and returns a result object; it prints nothing and parses no arguments (that
is ``vrukit.cli``'s work).

Each job imports what it uses when it runs, so ``import vrukit.jobs.risk`` stays quick; the
one-call functions for notebooks are re-exported by ``vrukit`` itself.
"""
