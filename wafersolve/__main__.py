"""``python -m wafersolve`` runs the command line, exactly like the ``wafersolve`` script.

Example
-------
>>> import subprocess, sys
>>> subprocess.run([sys.executable, "-m", "wafersolve", "--version"])   # doctest: +SKIP
"""

from .cli import main

raise SystemExit(main())
