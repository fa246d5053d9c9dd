"""gunicorn settings: read from the working directory by default (run from the checkout, or pass
`-c path/to/gunicorn.conf.py`). Everything else comes from the command line.

Once a worker has built the app, its long-lived objects (modules, SQLAlchemy metadata, catalogs)
are moved out of the garbage collector's reach. A request that builds a province's 5,000 unit
rows otherwise sets off full collections that walk all of them again: measured at 1M tickets,
a metrics request went from ~330 to ~240 ms.

The youngest generation is collected after 50,000 new objects instead of 700: that request
allocates ~150,000 (rows, figures, their JSON) and spent ~19 ms of its CPU in ~80 collections
that found almost nothing to free (reference counting frees them); now ~5 ms. What cyclic
garbage there is waits a little longer, a few MB at most.
"""
import gc

GC_THRESHOLDS = (50_000, 20, 10)


def post_worker_init(worker):
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
