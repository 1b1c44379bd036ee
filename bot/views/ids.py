"""Stable identifiers shared by the views that render Slack surfaces and the listeners that
answer them (callback ids of modals, action ids of buttons, block ids of inputs)."""

# Message shortcuts: the callback ids app-manifest.yml registers; they never change (docs/slack.md)
SHORTCUT_ADD_NOTE = "add_issuetrak_note"
SHORTCUT_CREATE_ISSUE = "create_issuetrak_issue"
SHORTCUT_KITSU_COMMENT = "add_kitsu_comment"

# Modals (view callback ids)
NOTE_MODAL = "issuetrak_note_modal"
ISSUE_MODAL = "issuetrak_issue_modal"
KITSU_COMMENT_MODAL = "kitsu_comment_modal"

# Modal inputs: (block_id, action_id) pairs
NOTE_ISSUE = ("note_issue", "issue_number")
NOTE_TEXT = ("note_text", "text")
NOTE_PRIVATE = ("note_private", "private")
ISSUE_SUBJECT = ("issue_subject", "subject")
ISSUE_DESCRIPTION = ("issue_description", "description")
ISSUE_TYPE = ("issue_type", "type")
ISSUE_PRIORITY = ("issue_priority", "priority")
# The Kitsu comment form: each choice an external_select, its options from the options endpoint
# (block_suggestion), read from what is chosen above it in the form.
KITSU_PRODUCTION = ("kitsu_production", "kitsu_production")
KITSU_ENTITY = ("kitsu_entity", "kitsu_entity")
KITSU_TASK = ("kitsu_task", "kitsu_task")  # an option's value is the task's id
KITSU_STATUS = ("kitsu_status", "kitsu_status")
KITSU_TEXT = ("kitsu_text", "text")

# Buttons on cards
PROJECT_REFRESH = "project_refresh"  # value: "<tracker>:<project id>"
OPEN_IN_TRACKER = "open_in_tracker"  # a link button; acknowledged, nothing else
ASSET_MORE = "asset_more"  # value: JSON {"q": query, "start": next startAt, "u": {tracker key: offset}}
ASSET_PREVIOUS = "asset_previous"  # value: the same JSON, of the page before (its own id: one per actions block)
OUTBOX_RETRY = "outbox_retry"  # value: outbox item id
ISSUE_ADD_NOTE = "issue_add_note"  # value: the issue number; opens the note form for it
WATCH_HERE = "watch_here"  # value: "issue:<number>" or "project:<tracker>:<project id>"
ISSUES_PAGE = "issues_page"  # Previous/More under search or mine; value: JSON {"c": command text, "p": page}
KITSU_TASK_COMMENT = "kitsu_task_comment"  # on a Kitsu card's task line; value: the task's id
WATCH_STOP = "watch_stop"  # on the Home tab; value: the watch's id

# Buttons on a link request sent to admins (value: the request's id)
LINK_APPROVE = "link_approve"
LINK_DENY = "link_deny"

# An issue card's changes (bot.views.issue_actions; each row's block_id carries what the card showed)
CARD_ASSIGN_ME = "card_assign_me"  # value: the issue number
CARD_ASSIGN = "card_assign"  # users_select: the person to assign
CARD_NEXT_ACTION = "card_next_action"  # users_select: who the next action is with
CARD_PRIORITY = "card_priority"  # static_select: a PriorityID
CARD_SUBSTATUS = "card_substatus"  # static_select: a SubStatusID
CARD_TARGET_DATE = "card_target_date"  # datepicker
CARD_REFRESH = "card_refresh"  # value: the issue number
CHANGE_ANYWAY = "change_anyway"  # value: the outbox id of a change refused for a conflict
# Triage subscriptions (`/tracker subscriptions`)
SUBSCRIPTION_EDIT = "subscription_edit"  # value: the subscription's id; opens the Edit modal
SUBSCRIPTION_REMOVE = "subscription_remove"  # value: the subscription's id
SUBSCRIPTION_MODAL = "subscription_edit_modal"  # the Edit modal's callback id
SUBSCRIPTION_EVENTS_BLOCK = "subscription_events"
SUBSCRIPTION_EVENTS = "subscription_events_input"
SUBSCRIPTION_FILTER_BLOCK = "subscription_filter_{name}"
SUBSCRIPTION_FILTER = "subscription_filter_input"
NOTIFY_KINDS = "notify_kinds"  # the Home tab's DM checkboxes (saved at once)
NOTIFY_QUIET_BLOCK = "notify_quiet"  # the Home tab's quiet hours: the block of the two pickers
NOTIFY_QUIET_FROM = "notify_quiet_from"  # timepicker: where the quiet hours start (saved at once)
NOTIFY_QUIET_TO = "notify_quiet_to"  # timepicker: where they end
NOTIFY_QUIET_OFF = "notify_quiet_off"  # button: no quiet hours
