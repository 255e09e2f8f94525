"""The race finder in a practice check: the learner's reservation as three clients in virtual time.

After the two-client exploration passed (:mod:`queuesim.practice.interleave`),
:func:`find_in_virtual_time` runs the spec with :data:`CLIENTS` clients under
:data:`SCHEDULES` schedules from :data:`SEED` (:func:`queuesim.race.find_race`:
seeded random and PCT schedules, every command taking effect at its virtual
instant). A violation comes back as a :class:`~queuesim.practice.races.Broken`:
the minimised counterexample's round trips (client, virtual time, command,
reply), each client's result, the invariant's verdict, and the seed of the
schedule that broke it. The budget is fixed, so the verdict is the same on
every run; it takes about a third of a second for a correct reservation.

It needs the simulation extra (SimPy, greenlet: ``pip install 'queuesim[sim]'``);
without it the check says so in a note and keeps the two-client verdict.
"""

from __future__ import annotations

import re

from queuesim.practice.grading import Grader
from queuesim.practice.learner import LearnerError
from queuesim.practice.races import Broken, RaceSpec, Step, who

__all__ = ["CLIENTS", "SCHEDULES", "SEED", "TIME_LIMIT", "find_in_virtual_time"]

#: How many clients run the learner's function at once.
CLIENTS = 3
#: How many schedules are tried, at most.
SCHEDULES = 300
#: The finder's seed: schedule 0 uses it, the others derive from it.
SEED = 1
#: Seconds the whole search may take before the check gives up (a function that never returns).
TIME_LIMIT = 30.0

_READ = ('how to read it: notebooks/sim2_find_races.ipynb, section "The finder, and its counterexample"; the same '
         'race in virtual time: notebooks/sim1_race_in_virtual_time.ipynb, section "Two buyers, one suitcase: the '
         'timeline"')
_CLIENT = re.compile(r"\bclients? (\d+)\b")


def find_in_virtual_time(grader: Grader, spec: RaceSpec) -> Broken | None:
    """The minimised schedule of :data:`CLIENTS` clients that breaks ``spec``, or None if none in the budget.

    Raises:
        LearnerError: the search could not run the learner's function (it never
            returns, loops sending commands, or sends a command the simulated
            store cannot run); the message is in the learner's terms.
    """
    try:
        from queuesim.race import Load, RaceError, find_race
    except ImportError as error:  # the simulation extra is not installed
        grader.note(f"the race finder did not run ({error.name} is not installed: pip install 'queuesim[sim]'); "
                    f"only two {spec.role}s with one preemption were tried")
        return None
    load = Load(spec.target, clients=CLIENTS, setup=spec.setup, invariant=spec.invariant)
    role = f"{CLIENTS} {spec.role}s"
    try:
        finding = grader.call(find_race, load, schedules=SCHEDULES, seed=SEED, time_limit=TIME_LIMIT,
                              name=f"{spec.function}, called by {role},").value
    except LearnerError as error:
        if isinstance(error.error, RaceError):
            text = _CLIENT.sub(lambda m: who(spec.role, int(m.group(1))), str(error.error))
            text = text.replace("the target", spec.function)
            raise LearnerError(f"the race finder could not run {spec.function} as {role}: {text}",
                               error.error) from None
        if error.error is None:
            raise LearnerError(f"{spec.function} as {role}, under {SCHEDULES} schedules, did not end within "
                               f"{TIME_LIMIT:g} s (does it wait forever?)") from None
        raise
    counterexample = finding.counterexample
    if not finding.violation or counterexample is None:
        return None
    run = counterexample.run
    steps = [Step(e.client, e.command, e.reply_text, round(e.at * 1000, 3)) for e in run.trace]
    plural = "s" if counterexample.preemptions != 1 else ""
    found_by = [
        f"found by the race finder: {role} in virtual time, in schedule {finding.schedules} of {SCHEDULES} "
        f"(seed {finding.seed}; the check runs the same schedules every time), minimised to "
        f"{counterexample.clients} {spec.role}s, {counterexample.commands} commands, "
        f"{counterexample.preemptions} preemption{plural}",
    ]
    if counterexample.minimised and not counterexample.blocks:
        found_by.append(f"no preemption needed: the {spec.role}s one after the other break it (a bug, not a race)")
    unstable = finding.unstable_note()
    if unstable is not None:
        found_by.append(f"note: {unstable}")
    found_by.append(_READ)
    return Broken(steps, list(run.results), counterexample.message or finding.message or "", found_by)
