"""gunicorn settings: read from the working directory by default (run from the checkout, or pass
`-c path/to/gunicorn.conf.py`). Everything else comes from the command line.

Once a worker has built the app, its long-lived objects (modules, SQLAlchemy metadata, catalogs)
are moved out of the garbage collector's reach: a request that builds a province's 5,000 unit
rows otherwise sets off full collections that walk all of them again.

The youngest generation is collected after 50,000 new objects instead of 700: a province's
metrics request allocates some hundred thousand (rows, figures, their JSON), which reference
counting frees, and the default threshold ran dozens of collections per request that found
almost nothing to free. What cyclic garbage there is waits a little longer, a few MB at most.
"""
import gc

GC_THRESHOLDS = (50_000, 20, 10)


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
