"""Running the process: start-up and shutdown (`process`), the HTTP server (`web`) around the
Bolt app (`app`), the shared Slack session (`session`), the payload shape check
(`payload_checks`), the background workers (`workers`), the health report (`health`), the
platform check (`platform`) and the image's HEALTHCHECK (`healthcheck`)."""
