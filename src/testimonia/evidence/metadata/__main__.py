"""`python -m testimonia.evidence.metadata MEDIA_TYPE PATH`: the isolated extraction child."""

import sys

from testimonia.evidence.metadata import main

sys.exit(main())
