"""`python -m ingest`: see `ingest.cli`."""

import sys

from .cli import main

sys.exit(main())
