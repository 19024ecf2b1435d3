"""``python -m reconciler.emulator`` serves the emulator (see ``server.main``)."""

import sys

from reconciler.emulator import server

sys.exit(server.main())
