"""The top office's settings (DESIGN.md: Exports and the quarterly assessment, Settings).

`registry` names every key with its type and first default; `service` reads the value in force
at a time and saves a change with its audit row; `cli` and `views` are the two edges.
"""
