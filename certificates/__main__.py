"""``python -m certificates``: see :mod:`certificates.cli`."""

import sys

from .cli import main

sys.exit(main())
