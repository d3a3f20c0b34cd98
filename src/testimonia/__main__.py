"""`python -m testimonia` runs the same CLI as the `testimonia` console script."""

from testimonia.cli import main

raise SystemExit(main())
