import sys

from plugin.cli import main

if __name__ == "__main__":   # a guard: child processes of the scan import this module too
    sys.exit(main())
