"""Batches: many recordings analysed into result files, here, in a process pool or on Dask.

Upstream to downstream (docs/architecture.md#the-package-layout):

* `cache` -- `AnalysisResult` (the record a batch keeps of each recording), `BatchOutputs`
  (what was asked of it) and the fingerprint that says when a rerun may skip a recording;
* `task` -- `analyze_recording`: one recording in, its result files out; the pure, picklable
  function every executor maps;
* `run` -- `run_batch`: maps the task over the files (serially, in a local process pool or
  on a Dask cluster), resumable and failure-isolated;
* `report` -- the cross-recording summary page, built from the results left on disk.

Nothing is imported here: `from emgspasm.batch.run import run_batch`.
"""
