"""Posting to Slack after the request has been answered: telling people how their work went
(`saying`), link requests to the admins and their decisions (`identity_requests`), the cards of
pasted links (`unfurling`), the digests (`digest_delivery`) and a watch round's news
(`watch_posting`). Each takes what a service decided and sends it."""
