"""The Slack edge: the Bolt app and the HTTP server around it, the shared Slack session, the
people directory, signed metadata, mrkdwn-to-HTML, the `/tracker` command parser, telling
people how their work went after the request has been answered, sending link requests to the
admins, and posting digests."""
