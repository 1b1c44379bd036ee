"""Plain async functions between the Slack listeners and the tracker clients: they take a
`Runtime` and plain values, and return models and sentences: never Block Kit, and they post
nothing to Slack (`bot.views` renders and `bot.posting` posts what they return)."""
