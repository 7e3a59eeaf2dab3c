import sys

from ifsmith.tui.cli import main

sys.exit(main())
