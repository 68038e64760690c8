"""The pipeline: the stages of the management cycle declared once (:mod:`.stages`), the files of
``perfkit score`` (:mod:`.outputs`) and the executors that run the stages — one process
(:func:`.stages.run_stages`), two processes (:mod:`.two_cores`) and Dask (:mod:`.distributed`).

Floor 4 of io → rules → analyses → pipeline → reporting → api/cli: it imports the analyses and is
imported by the reporting modules and the API, never the other way round.
"""
