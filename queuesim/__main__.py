"""``python -m queuesim`` runs the command line."""

import sys

from queuesim.cli import main

sys.exit(main())
