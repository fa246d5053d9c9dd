"""File imports (CONTRACT.md: Import file): a spreadsheet read safely (`sheets.py`), run into
tickets a chunk at a time by a worker (`run.py`), its results read back (`results.py`), the
uploaded file kept only as long as those results (`retention.py`), the pages and `feedback import`."""
