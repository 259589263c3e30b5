"""Entry script for the PyInstaller build: the same dispatch as `python -m tajweed_desktop`."""

import sys

from tajweed_desktop.__main__ import main

sys.exit(main())
