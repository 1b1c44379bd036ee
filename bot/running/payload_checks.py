"""The fields Bolt and the listeners read of a payload before they can answer, checked once.

Bolt reads some of a payload before any listener runs (the first action, the view's callback id,
the event's type, the team, user and channel ids, the first authorization) and answers 500 when
one is missing or of another type. Slack always sends them; a signed payload without them can
only come from someone holding the signing secret, and gets 400 (`shape_refusal`).
Kinds not listed here (slash commands are forms of strings, `url_verification`) go to Bolt as
they are."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


AnswerUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]  # where Slack takes an answer


class _Named(_Shape):
    id: str


class _Interaction(_Shape):
    type: str
    team: _Named | None = None
    user: _Named
    channel: _Named | None = None
    enterprise: _Named | None = None
    is_enterprise_install: bool | None = None


class _Action(_Shape):
    action_id: str
    block_id: str | None = None
    value: str = ""  # absent when a button has none; never null


class _Container(_Shape):
    type: str


class _Click(_Interaction):
    actions: list[_Action] = Field(min_length=1)
    container: _Container | None = None
    response_url: AnswerUrl | None = None

    @model_validator(mode="after")
    def _answerable(self) -> _Click:
        """A click on a message always comes with the URL its answer goes to."""
        if self.container is not None and self.container.type == "message" and self.response_url is None:
            raise ValueError("a click on a message without its response_url")
        return self


class _View(_Shape):
    type: str
    callback_id: str
    state: dict[str, Any] | None = None


class _Submission(_Interaction):
    view: _View


class _Message(_Shape):
    ts: str
    text: str = ""
    user: str | None = None
    thread_ts: str | None = None


class _Shortcut(_Interaction):
    callback_id: str
    trigger_id: str
    response_url: AnswerUrl | None = None
    message: _Message | None = None


class _Suggestion(_Interaction):
    action_id: str
    value: str = ""  # absent when a button has none; never null


class _Event(_Shape):
    type: str
    user: str | None = None
    channel: str | None = None


class _Authorization(_Shape):
    team_id: str | None = None
    user_id: str | None = None
    enterprise_id: str | None = None


class _EventEnvelope(_Shape):
    team_id: str
    event: _Event
    authorizations: list[_Authorization] | None = None


SHAPES: dict[str, type[_Shape]] = {
    "block_actions": _Click,
    "view_submission": _Submission,
    "view_closed": _Submission,
    "message_action": _Shortcut,
    "shortcut": _Shortcut,
    "block_suggestion": _Suggestion,
    "event_callback": _EventEnvelope,
}


def shape_refusal(body: dict[str, Any]) -> str | None:
    """None when `body` has what is read of its kind; else where it breaks (for the log, never
    the values)."""
    shape = SHAPES.get(body["type"]) if isinstance(body.get("type"), str) else None
    if shape is None:
        return None
    try:
        shape.model_validate(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        return f"{body['type']}: {'.'.join(str(part) for part in first['loc'])}: {first['type']}"
    return None
