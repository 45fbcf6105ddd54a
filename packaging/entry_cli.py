"""Frozen entry point of the console program ``databorder`` (PyInstaller runs this file as __main__)."""

import sys

from databorder.cli import main

sys.exit(main())
