"""``python -m reconciler`` is the ``hfleet`` command."""

from reconciler.cli import main

if __name__ == "__main__":
    main()
