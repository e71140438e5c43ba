"""Jobs: long requests run in the background, with progress, cancellation and a bounded queue.

* :mod:`api.jobs.manager`: the JobManager (queue, workers, expiry), the Job record and its errors;
  it knows nothing of routes.
* :mod:`api.jobs.trigger`: how a route is asked to run as a job (``async=true`` or
  ``Prefer: respond-async``) and what it answers then (202 and the job's URLs).
* :mod:`api.jobs.schemas`: the bodies the job routes (api/routes/jobs.py) answer.

This package imports nothing at its top so that api/state.py can import the manager without a cycle.
"""
