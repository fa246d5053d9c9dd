"""Background infrastructure that no one noun owns: queueing a job to RQ or running it
in-process (`queue.py`), the time a job runs at (`timing.py`), and the periodic sweep that finds
due work of every noun again from rows (`sweep.py`, and `feedback sweep` in `cli.py`). The work
itself lives with its noun: imports/, notices/, tickets/handback.py, exports/jobs.py."""
