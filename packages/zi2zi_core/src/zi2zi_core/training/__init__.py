"""How it is trained: run config, run preparation, the trainer and its G/D phases, the data
path, EMA, checkpoint state, logs and multi-process (torchrun) helpers."""
