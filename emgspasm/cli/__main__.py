"""``python -m emgspasm.cli``: the same as the `emgspasm` console script."""

import sys

from emgspasm.cli import main

sys.exit(main())
