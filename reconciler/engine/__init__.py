"""The engine: from a validated fleet and the live endpoints to a plan, and from a plan to changes.

Its steps, each a module: ``desired`` (spec + schedule at an instant), ``live`` (the API's endpoints,
their health), ``plan`` (the pure decisions), ``apply`` (the writes, concurrently), ``run`` (the
pipeline that wires them: lock, observe, plan, price, check, apply, wait). ``cost``/``pricing`` are
the money, ``status``, ``smoke``, ``importer`` and ``schedule_view`` the read-only commands' parts.
Called by: the CLI and the controller. Must not: parse arguments or print.
"""
