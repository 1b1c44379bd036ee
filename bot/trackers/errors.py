"""Typed tracker errors. `str(error)` is a short sentence fit to show a person: never a stack
trace, a URL with credentials, or a secret."""

from __future__ import annotations

from bot.errors import PersonFacingError


class TrackerError(PersonFacingError):
    """Base of every error a tracker client raises. `cause` is what went wrong for an operator (the
    detailed /healthz): "connection refused", "HTTP 401", "timeout (ReadTimeout)", "TLS: …"; never a
    URL or a secret; empty when the client did not say."""

    cause: str = ""

    def __init__(self, tracker: str, message: str) -> None:
        super().__init__(message)
        self.tracker = tracker
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotConfigured(TrackerError):
    def __init__(self, tracker: str, message: str | None = None) -> None:
        super().__init__(tracker, message or f"{tracker} is not set up for this workspace yet.")


class AuthenticationRefused(TrackerError):
    def __init__(self, tracker: str) -> None:
        super().__init__(tracker, f"{tracker} refused trackerbot's credentials; ask an admin to check them.")


class NotFound(TrackerError):
    def __init__(self, tracker: str, what: str = "That item") -> None:
        super().__init__(tracker, f"{what} does not exist in {tracker}.")


class InvalidInput(TrackerError):
    def __init__(self, tracker: str, detail: str = "") -> None:
        reason = f": {detail}" if detail else "."
        super().__init__(tracker, f"{tracker} did not accept the request{reason}")


class Unavailable(TrackerError):
    def __init__(self, tracker: str) -> None:
        super().__init__(tracker, f"{tracker} is not answering right now; try again in a few minutes.")


class TimedOut(Unavailable):
    def __init__(self, tracker: str) -> None:
        TrackerError.__init__(self, tracker, f"{tracker} took too long to answer; try again in a moment.")
