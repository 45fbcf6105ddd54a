"""``python -m databorder``: the console program, exactly as the ``databorder`` command runs it."""

import sys

from databorder.cli import main

if __name__ == "__main__":
    sys.exit(main())
