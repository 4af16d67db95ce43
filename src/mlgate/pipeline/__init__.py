"""The pipeline gate: a project's pipeline steps run on a sample, each against its contract.

``config`` is the ``pipeline:`` section of mlgate.yaml; ``sample`` draws the seeded
sample the steps run on; ``run`` imports the steps, binds their parameters and calls
them; ``contract`` writes and reads ``contracts/<step>.yaml``; ``checks`` turns runs
into findings; ``gate`` ties them into ``infer_contracts`` and ``check_pipeline``.
Nothing here is imported by ``import mlgate``: pandas and Polars load when a step runs.
"""
