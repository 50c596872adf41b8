"""Supervision: the read side of the supervisors' dashboard (rows are participating units, not instances).

- `scope`    who supervises which units of which campaign, and who may act on a unit;
- `paths`    the user tasks left from a step to its (sub)process's end, read from the published diagram;
- `history`  how long each step usually takes, from the audit trail of finished cases;
- `board`    one row per participating unit (current step, holder, time in step, deadline, projection, flag),
             filtered, sorted and paged, with counts per flag and per step.

The interventions (remind, reassign, extend, suspend, resume, cancel) are commands in processes/interventions.py;
the daily digest is processes/digest.py.
"""
