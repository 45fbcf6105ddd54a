"""Frozen entry point of the windowed program ``databorder-gui`` (PyInstaller runs this file as __main__)."""

import sys

from databorder.gui.app import main

sys.exit(main())
