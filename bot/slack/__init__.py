"""Slack's formats: who is who (`directory`, the people directory), signed private_metadata
(`metadata`), mrkdwn to Issuetrak HTML (`notes_html`), a rich-text input as mrkdwn
(`rich_text`) and the `/tracker` command parser (`command_parser`). Nothing here posts."""
