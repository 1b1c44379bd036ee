"""trackerbot: Slack chat-ops for Issuetrak, Projectrak, AIP and Kitsu.

The rooms (docs/architecture.md draws how a request goes through them):

- `bot.running`: running the process: start-up and shutdown, the HTTP server (`web`) around the
  Bolt app (`app`), the shared Slack session, the background workers and the health report.
- `bot.posting`: posting to Slack after the request: telling people outcomes (`saying`), link
  requests to the admins (`identity_requests`), unfurls, digests and watch news.
- `bot.slack`: Slack's formats: the people directory, signed metadata, mrkdwn-to-HTML, rich
  text and the `/tracker` command parser.
- `bot.runtime`: the runtime every listener and service gets.
- `handlers` (a sibling package): one Slack listener module per surface, each with `register(app)`.
- `bot.services`: plain async functions between the listeners and the trackers.
- `bot.views`: every Block Kit view.
- `bot.trackers`: the tracker clients and their normalized models; nothing of Slack.
- `bot.store`: the SQLAlchemy store (links, outbox, digests).
- `bot.demo`: stand-ins: the tracker contract servers and the local Slack Web API.
- `bot.console`: `python -m bot shell`, the offline console over the production app.
- `bot.digest`: the digest (`Digest`, `Attention`) the digest service builds and the
  digest view draws.
- `bot.settings`, `bot.logs`, `bot.messages` (every sentence said to people), `bot.times` (time-of-day
  and time-zone input, checked once), `bot.__main__`.
"""
