"""``python -m reconciler.emulator [OPTIONS]``: the same command as ``hfleet emulator serve``."""

from reconciler.emulator import server

server.serve_command.main(prog_name="python -m reconciler.emulator")
