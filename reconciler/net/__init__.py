"""What every HTTP client of hfleet shares: bounded requests, header parsing, where a token may go.

Owns: ``limits`` (the bounds, as settings), ``send`` (one bounded exchange: deadline, size,
decompression, redirect policy), ``transport`` (real sockets bounded by the deadline; plain http
only to loopback), ``budget``, ``body``, ``errors``, ``retry_after`` (one ``Retry-After`` parser)
and ``urls``. Called by: ``reconciler.api`` (control plane) and ``reconciler.inference`` (data
plane, smoke tests). Must not: import either of them.
"""
