"""
WSGI entry point for Zou (copied into $ZOU_STATE_DIR by zou-test-server.sh). Same as gunicorn's
zou.app:app, plus JWT lifetimes from the environment: Zou hard-codes
JWT_ACCESS_TOKEN_EXPIRES = 7 days and JWT_REFRESH_TOKEN_EXPIRES = 15 days in
zou/app/config.py and reads no variable for them, so the config module is
patched before the app is built. Unset or empty: Zou's defaults.
  ZOU_ACCESS_TOKEN_SECONDS   access-token lifetime in seconds
  ZOU_REFRESH_TOKEN_SECONDS  refresh-token lifetime in seconds
"""

import datetime
import os

from zou.app import config

_access = os.getenv("ZOU_ACCESS_TOKEN_SECONDS")
if _access:
    config.JWT_ACCESS_TOKEN_EXPIRES = datetime.timedelta(seconds=int(_access))
_refresh = os.getenv("ZOU_REFRESH_TOKEN_SECONDS")
if _refresh:
    config.JWT_REFRESH_TOKEN_EXPIRES = datetime.timedelta(seconds=int(_refresh))

from zou.app import create_app  # noqa: E402

app = create_app()
