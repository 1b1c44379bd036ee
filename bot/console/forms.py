"""Asking a person for a modal's inputs, one field at a time: text with its prefilled value
(Enter keeps it), numbered options for selects (an external select's loaded from the app first,
as Slack's options request would), y/n for checkboxes; and the `view.state.values` Slack would
submit for the answers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.console import render
from bot.console.terminal import Cancelled, Output, Reader
from bot.demo import slack_payloads

PROMPT_WIDTH = 60  # how much of a prefilled answer a prompt shows
INITIAL = object()  # "no answer yet": start from the element's initial value


class GaveUp(Exception):
    """A script answered a rejected value with a command (a line starting with `:` or `/`): the
    form is given up, and `line` is carried out as the command it is."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


# A check of one text field as it is typed, by its (block_id, action_id): the sentence refusing the value, or None.
FieldCheck = Callable[[str], str | None]


class Form:
    def __init__(self, reader: Reader, out: Output, checks: Mapping[tuple[str, str], FieldCheck] | None = None) -> None:
        self.reader, self.out = reader, out
        self.checks = checks or {}  # refused as typed (as Slack's own inputs refuse), not only at submit
        self.rejected = False  # a value was refused: in a script, a command now ends the form

    def ask(self, block: Mapping[str, Any], previous: Any) -> Any:
        """The answer to one input block (`previous`: the last answer, or INITIAL); Ctrl-C or
        the end of input raise Cancelled."""
        element = block.get("element") or {}
        label = render.text_of(block.get("label")) or "Value"
        kind = element.get("type")
        if kind in slack_payloads.ONE_CHOICE:
            answer = self._ask_choice(label, element, previous, optional=bool(block.get("optional")))
            shown = render.text_of((answer or {}).get("text")) or "(none)"
        elif kind in ("checkboxes", "multi_static_select"):
            answer = self._ask_checks(label, element, previous)
            shown = ", ".join(render.text_of(o.get("text")) for o in answer) or "(none)"
        else:
            initial = element.get("initial_date") if kind == "datepicker" else element.get("initial_value")
            answer = self._ask_text(
                label,
                str(initial or "") if previous is INITIAL else previous,
                optional=bool(block.get("optional")),
                check=self.checks.get((str(block.get("block_id")), str(element.get("action_id")))),
            )
            shown = _one_line(answer)
        if not self.reader.interactive:
            self.out.line(f"│ {label}: {shown}")
        return answer

    def _read(self, prompt: str) -> str:
        line = self.reader.read(prompt, remember=False)
        if line is None:
            raise Cancelled
        if self.rejected and not self.reader.interactive and line.lstrip().startswith((":", "/")):
            raise GaveUp(line)
        return line

    def refused(self, sentence: str) -> None:
        """Say why a value was refused; the next answers are read as its corrections."""
        self.out.line(f"│ {sentence}")
        self.rejected = True

    def _ask_text(self, label: str, initial: str, *, optional: bool, check: FieldCheck | None = None) -> str:
        shown = _one_line(initial, PROMPT_WIDTH)
        while True:
            typed = self._read(f"│ {label} [{shown}]: " if initial else f"│ {label}: ")
            answer = typed or initial
            if not answer and not optional:
                self.refused(f"{label} is required.")
            elif answer and check is not None and (refusal := check(answer)) is not None:
                if not self.reader.interactive:  # a script's value, shown beside why it is refused
                    self.out.line(f"│ {label}: {_one_line(answer, PROMPT_WIDTH)}")
                self.refused(f"! {refusal}")
            else:
                return answer

    def _ask_choice(self, label: str, element: Mapping[str, Any], previous: Any, *, optional: bool) -> Any:
        options = _options(element)
        initial = element.get("initial_option") if previous is INITIAL else previous
        if self.reader.interactive:
            for number, option in enumerate(options, 1):
                self.out.line(f"│   {number}. {render.text_of(option.get('text'))}")
        default = render.text_of((initial or {}).get("text"))
        while True:
            typed = self._read(f"│ {label} [{default}]: " if default else f"│ {label}: ").strip()
            if not typed and (initial or optional):
                return initial
            chosen = _pick(options, typed)
            if len(chosen) == 1:
                return chosen[0]
            names = [render.text_of(option.get("text")) for option in chosen or options]
            if chosen:
                self.refused(f"“{typed}” could be {', '.join(names)}: type more of the name, or its number.")
            else:
                self.refused(f"Pick a number from 1 to {len(options)}, or a name: {', '.join(names)}.")

    def _ask_checks(self, label: str, element: Mapping[str, Any], previous: Any) -> list[dict[str, Any]]:
        chosen = list(element.get("initial_options") or []) if previous is INITIAL else list(previous)
        picked: list[dict[str, Any]] = []
        for option in _options(element):
            on = any(o.get("value") == option.get("value") for o in chosen)
            while True:
                typed = self._read(f"│ {label}: {render.text_of(option.get('text'))}? [{'Y/n' if on else 'y/N'}]: ")
                answer = typed.strip().lower()
                if answer in ("", "y", "yes", "n", "no"):
                    break
                self.refused("Answer y or n.")
            if answer in ("y", "yes") or (not answer and on):
                picked.append(option)
        return picked


def _one_line(text: str, limit: int | None = None) -> str:
    """`text` on one line (line breaks shown as ⏎), cut to `limit` characters."""
    shown = " ⏎ ".join(text.splitlines())
    return shown if limit is None or len(shown) <= limit else shown[: limit - 1] + "…"


def _options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = element.get("option_groups") or []
    return list(element.get("options") or []) + [o for g in groups for o in g.get("options") or []]


def _pick(options: list[dict[str, Any]], typed: str) -> list[dict[str, Any]]:
    """The options a person may have meant (one when it is clear): by number, else by name, ignoring case:
    the whole name, else the names it begins ("Soft" for "Software"), else the names holding it."""
    if typed.isdigit():
        return [options[int(typed) - 1]] if 1 <= int(typed) <= len(options) else []
    wanted = typed.casefold()
    if not wanted:
        return []
    named = [(option, render.text_of(option.get("text")).casefold()) for option in options]
    for fits in (str.__eq__, str.startswith, str.__contains__):
        matches = [option for option, name in named if fits(name, wanted)]
        if matches:
            return matches
    return []


def state_values(view: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, Any]:
    """`view.state.values` for `answers` (block id -> answer) to the inputs of `view` (those
    answered so far, while the form is being filled in)."""
    return {
        str(block.get("block_id")): {
            block["element"].get("action_id"): slack_payloads.element_state(
                block["element"], answers[str(block.get("block_id"))]
            )
        }
        for block in render.inputs(view)
        if str(block.get("block_id")) in answers
    }
