"""What every HTTP client of hfleet shares: header parsing and the rules for where a token may go.

Owns: ``retry_after`` (one parser of the ``Retry-After`` header) and ``urls`` (plain http only to
loopback unless the user says otherwise). Called by: ``reconciler.api`` (control plane) and
``reconciler.inference`` (data plane, smoke tests). Must not: import either of them.
"""
