"""Slack's Block Kit limits, read from slack_sdk's own models so that they follow the library.

Where slack_sdk checks a limit it keeps it as a class attribute (`SectionBlock.text_max_length`);
the few it does not check are named here with where Slack documents them.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    Option,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

SECTION_LIMIT: int = SectionBlock.text_max_length
MAX_FIELDS: int = SectionBlock.fields_max_length
MAX_CONTEXT_ELEMENTS: int = ContextBlock.elements_max_length
HEADER_LIMIT: int = HeaderBlock.text_max_length
BUTTON_TEXT_LIMIT: int = ButtonElement.text_max_length
BUTTON_VALUE_LIMIT: int = ButtonElement.value_max_length
BUTTON_URL_LIMIT: int = ButtonElement.url_max_length
OPTION_TEXT_LIMIT: int = Option.label_max_length
OPTION_VALUE_LIMIT: int = Option.value_max_length
OPTIONS_LIMIT: int = StaticSelectElement.options_max_length
TITLE_LIMIT: int = View.title_max_length

# Not checked by slack_sdk (Slack's Block Kit reference): a section field's text, kept under 2000
# characters (context texts too), and a plain_text_input's `max_length` (1..3000).
FIELD_LIMIT = 2000
INPUT_LIMIT = 3000
