"""The normalization sweep: grid files and their runs, running them as ``zi2zi train``
processes, the report and its plots."""
