"""No settings: the benchmark servers run as `gunicorn -w 2 -b HOST:PORT APP` alone.

Without `-c`, gunicorn would read the repository's gunicorn.conf.py (production: preloading,
an access log, and a post_fork hook that only signon's app survives), which the bare baseline
cannot run under and which the figures in docs/benchmarks.md were not measured with.
"""
