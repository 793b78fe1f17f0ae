"""``python -m credsite``: the same as the ``credsite`` command."""

from credsite.cli import main

if __name__ == "__main__":
    main()
