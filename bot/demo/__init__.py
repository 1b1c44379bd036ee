"""Stand-ins: small in-process servers that speak each tracker's real wire contract, and
`bot.demo.slack`, a local stand-in for the Slack Web API (used by the tests and the console), and
`bot.demo.slack_payloads`, the requests Slack sends to the app (built once for both). Every tracker
server takes the one latency-and-fault knob, `bot.demo.knobs.Faults`, as `state.faults`.

The console serves them when a tracker is not configured, and the tests run them on loopback
with their checks on (HMAC recomputed byte for byte, tokens that expire, pages that page).
"""
