"""gunicorn.conf.py: each web worker freezes what it built at start-up out of the collector's reach."""
import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_freezes_its_startup_objects():
    settings = runpy.run_path(str(CONF))
    try:
        settings["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
