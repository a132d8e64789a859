"""``python -m bench``: every benchmark in one table (see bench/run_all.py)."""

import sys

from bench.run_all import main

if __name__ == "__main__":  # not in the processes the benchmarks spawn
    sys.exit(main())
