"""queuesim's reference solutions of the practice files, one module per course file.

Each has the stub's API and is built on queuesim's own library (the exercises,
the queue, the stock and seat services), so ``queuesim check --solution``
grades queuesim itself with the learner's checks. Each is also a valid learner
file: copied under its course name, it passes the same checks.
"""
