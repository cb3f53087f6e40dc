"""What a run directory holds and how it is read and written: its layout (file names and
patterns), the checkpoint format, the metrics log. Shared by training, evaluation and sweep."""
