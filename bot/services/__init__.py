"""Plain async functions between the Slack listeners and the tracker clients: they take a
`Runtime` and plain values, and return normalized models (never Block Kit)."""
