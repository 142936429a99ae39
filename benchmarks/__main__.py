"""``python -m benchmarks``: start the local server, run every row, print one table."""

import sys

from benchmarks.suite import main

if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the benchmark server was stopped", file=sys.stderr)
        sys.exit(130)
