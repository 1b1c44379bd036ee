"""trackerbot: Slack chat-ops for Issuetrak, Projectrak, AIP and Kitsu.

The rooms (docs/architecture.md draws how a request goes through them):

- `bot.slack`: the Slack edge. The Bolt app (`app`), the HTTP server around it (`web`), the
  shared Slack session, the people directory, signed metadata, mrkdwn-to-HTML, the `/tracker`
  command parser, telling people outcomes after the request (`telling`), and sending link
  requests to the admins (`link_requests`).
- `handlers` (a sibling package): one Slack listener module per surface, each with `register(app)`.
- `bot.services`: plain async functions between the listeners and the trackers.
- `bot.views`: every Block Kit view.
- `bot.trackers`: the tracker clients and their normalized models; nothing of Slack.
- `bot.store`: the SQLAlchemy store (links, outbox, digests).
- `bot.running`: running the process: start-up and shutdown, the runtime every listener gets,
  the background workers and the health report.
- `bot.demo`: stand-ins: the tracker contract servers and the local Slack Web API.
- `bot.console`: `python -m bot shell`, the offline console over the production app.
- `bot.digest_model`: the digest (`Digest`, `Attention`) the digest service builds and the
  digest view draws.
- `bot.settings`, `bot.logs`, `bot.messages` (every sentence said to people), `bot.times` (time-of-day
  and time-zone input, checked once), `bot.__main__`.
"""
