"""The checks of each task, one module per group of tasks.

Each checker takes a :class:`~queuesim.practice.grading.Grader`.

They come from docs/SPEC.md's exact outputs and from the project's own tests
of the exercises, and run the learner's code on a fresh store of its own.
"""
