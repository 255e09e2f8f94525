"""The stubs ``queuesim practice init`` writes, one module per course file (see the catalogue for the names).

Each is a complete file for the learner: the task in its docstring, what
queuesim provides already imported, and ``raise NotImplementedError`` where the
learner writes. They are modules here so that ruff and mypy keep them correct.
"""
