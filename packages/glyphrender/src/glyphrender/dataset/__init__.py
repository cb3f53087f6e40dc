"""Paired-glyph datasets: the manifest (:mod:`~glyphrender.dataset.manifest`), HDF5 shards and
their reader (:mod:`~glyphrender.dataset.shards`), train/val splits, the build itself
(:mod:`~glyphrender.dataset.build`), inspect and preview, few-shot picks, fallback source lists,
and rendering characters again as a dataset's build did (:mod:`~glyphrender.dataset.rerender`).
"""
