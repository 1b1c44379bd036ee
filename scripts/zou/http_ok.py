"""Exit 0 when GET argv[1] answers 200, else non-zero (zou-test-server.sh waits on it for Zou)."""

import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=3) as answer:
    sys.exit(0 if answer.status == 200 else 1)
