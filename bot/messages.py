"""The sentences trackerbot says to people, in one place (as Bolt keeps its own texts).

Every sentence the Slack side says (listeners, services, views, the `/tracker` parser, the note
footer written to Issuetrak) is here, with some labels. What is not:
- the labels of one view's layout (a field name, a button, a section title) stay beside it in
  `bot/views/`;
- the errors raised below the services carry their own sentence, which the services pass on as
  they are: the trackers' (`bot/trackers/errors.py`, and a client's own, such as Kitsu's refused
  login or the AIP token's expiry) and the store's (a time or time zone that is not one, the
  database not answering);
- what is said to whoever runs the bot: a setting that stops start-up, named in one line
  (`bot/settings.py`, `bot/store/engine.py`), and the detailed `/healthz` (`bot/running/health.py`);
- the console and the stand-ins in `bot/demo/` speak for themselves.

`tests/test_messages.py` checks that the Slack side (handlers/, bot/slack/, bot/services/,
bot/views/) writes no sentence of its own. One exemption is listed there until it merges away:
the `/tracker digest daily` time and zone checks, which become the one shared validator.
"""

from __future__ import annotations

from collections.abc import Sequence

HELP_EXAMPLES: list[tuple[str, str]] = [
    ("/tracker issue 123", "an Issuetrak issue card"),
    ("/tracker note 123 printer fixed", "add a note to Issuetrak issue 123, as you"),
    (
        "/tracker project 1 · project WEB · project moonrise",
        "a project status card from Issuetrak, Projectrak or Kitsu",
    ),
    ("/tracker projects", "the open projects across trackers"),
    ("/tracker asset LAPTOP-0042 · asset laptop", "an asset card, or the assets that match"),
    (
        "/tracker digest now · digest now projectrak · digest now R&D lab move",
        "this channel's digest, now: of every tracker, or of the tracker or project you name",
    ),
    (
        "/tracker digest daily 09:00 Europe/Paris · digest off · digest list",
        "schedule, stop or show this channel's digest",
    ),
    ("/tracker link jdoe", "write as your Issuetrak user (your email matches it), or ask an admin to approve it"),
    ("/tracker unlink", "stop writing as your Issuetrak user (admins: `unlink @person`, `link @person jdoe`)"),
    (
        "/tracker watch issue 123 · watch project WEB",
        "this channel hears of changes in a thread (in a DM with me: you do); `unwatch …` stops, `watching` lists",
    ),
]
HELP_INTRO = "Here is what `/tracker` can do:"
HELP_SHORTCUTS = (
    "From any message's ⋯ menu: *Add as Issuetrak note*, *Create Issuetrak issue* and *Add as Kitsu comment*."
)

WORKING = "Working on it…"
LOADING_TITLE = "Loading…"

NO_PROJECT = "I found no project matching “{ref}” in {where}."
NO_ASSET = "I found no asset matching “{query}”."
NO_PROJECTS = "There are no open projects in {where}."
NO_TRACKERS = "No tracker is set up yet: an admin sets them in trackerbot's settings."

NOT_LINKED = (
    "I could not find your Issuetrak user (your Slack email {email} matches no active Issuetrak user), so "
    "nothing was written. If your Issuetrak user has another email, ask for it with "
    "`/tracker link &lt;your Issuetrak user ID&gt;`: an admin approves it."
)
LINKED = "Done: your Slack account is now tied to Issuetrak user *{user}*."
LINK_UNKNOWN_USER = "Issuetrak has no active user with the ID “{user}”. Check the ID in Issuetrak › My Profile."

NOTE_ADDED = "Added note {note} to Issuetrak issue <{url}|#{issue}>."
NOTE_ALREADY = "This message is already a note on Issuetrak issue <{url}|#{issue}> (note {note})."
NOTE_SAVED = "Issuetrak is not answering, so I saved your note for issue #{issue}; I will post it when Issuetrak answers and tell you."
NOTE_FAILED = "I could not post your note to Issuetrak issue #{issue}: {error}"
ISSUE_CREATED = "Created Issuetrak issue <{url}|#{issue}>: {subject}"
ISSUE_ALREADY = "This message already made Issuetrak issue <{url}|#{issue}>."
ISSUE_SAVED = "Issuetrak is not answering, so I saved your new issue “{subject}”; I will create it when Issuetrak answers and tell you."
ISSUE_FAILED = "I could not create the Issuetrak issue “{subject}”: {error}"
RETRY_BUTTON = "Try again"
RETRY_QUEUED = "Trying again; I will tell you here when it is done."

ISSUE_DOES_NOT_EXIST = "Issue {number} does not exist."
ISSUE_NUMBER_NEEDED = "Type the issue number, for example 123."
NOTE_EMPTY = "The note is empty."
NOTE_TOO_LONG = "The note is {length:,} characters; Issuetrak notes from Slack take at most {limit:,}."
SUBJECT_EMPTY = "The subject is empty."
PRIVATE_NOT_ALLOWED = "Private notes are turned off for this workspace."
WRITES_NOT_ALLOWED_HERE = "Writing to Issuetrak is not allowed from this channel."
MODAL_EXPIRED = "This form is out of date; open it again from the message."

DIGEST_SCHEDULED = "This channel will get its digest every day at {time} ({zone}){scope}."
DIGEST_OFF = "This channel's daily digest is off."
DIGEST_WAS_OFF = "This channel has no daily digest to turn off."
DIGEST_LIST = "This channel gets its digest every day at {time} ({zone}){scope}, set up by <@{user}>."
DIGEST_NONE = "This channel has no daily digest. Start one with `/tracker digest daily 09:00`."
# The same, to a person DIGEST_EDITORS leaves out: no invitation to a command they may not use.
DIGEST_NONE_NOT_EDITOR = "This channel has no daily digest; the people an admin listed can start one."
HOME_NO_DIGESTS_NOT_EDITOR = "None yet."
DIGEST_POSTED = "Posted the digest in this channel."
DIGEST_CHANNEL_CLOSED = (
    "I could not post today's digest in <#{channel}>: I am not a member of it any more. "
    "Invite me with `/invite @trackerbot` there, or stop it with `/tracker digest off`."
)
DIGEST_NOT_IN_CHANNEL = "I can't post in this channel yet: invite me with `/invite @trackerbot`, then try again."
DIGEST_UNKNOWN_SCOPE = (
    "I found no tracker or project called “{scope}”. After the time, give a time zone like Europe/Paris, "
    "then optionally issuetrak, projectrak, kitsu or a project's ID, key or name."
)
DIGEST_NOT_ALLOWED = "Only the people an admin listed can change this channel's digest."

HOME_LINKED = "Your notes and issues are written in Issuetrak as *{user}*."
HOME_NOT_LINKED = (
    "Your Slack email {email} matches no Issuetrak user, so you cannot write to Issuetrak yet: "
    "type `/tracker link &lt;your Issuetrak user ID&gt;` to ask an admin to approve it."
)
HOME_IDENTITY_UNKNOWN = "I could not check your Issuetrak user just now: {error}"
HOME_NO_ISSUETRAK = "Issuetrak is not set up for this workspace, so notes and issues cannot be written yet."

UNEXPECTED = "Something went wrong on trackerbot's side; the team has the details. Please try again."

# --- identity: links, link requests, guests, reads -----------------------------------------------

SLACK_BUSY = "Slack is busy and could not tell me who you are just now, so nothing was done; try again in a minute."
GUEST_REFUSED = "Guest accounts cannot use trackerbot in this workspace; ask a workspace admin if you need it."
READ_NEEDS_IDENTITY = (
    "Reading Issuetrak from Slack needs your Issuetrak user, and your Slack email {email} matches no active "
    "Issuetrak user. If your Issuetrak user has another email, type `/tracker link &lt;your Issuetrak user ID&gt;` "
    "to ask an admin to approve it."
)
EMAIL_USER_TAKEN = (
    "Your Slack email matches Issuetrak user *{user}*, but that user is tied to another Slack person "
    "(<@{holder}>), so nothing was read or written as it. Ask {approvers} to sort it out."
)
APPROVERS = "an admin ({admins})"
NO_APPROVERS = "whoever runs trackerbot (no admin is set in TRACKER_ADMINS)"

LINK_ONLY_EMAIL = (
    "Issuetrak user *{user}* has another email than yours ({email}). Only the Issuetrak user whose email is your "
    "Slack email can be yours without an admin, and this workspace has none set (TRACKER_ADMINS): ask whoever "
    "runs trackerbot to add admins, or to fix the email in Issuetrak."
)
LINK_REQUESTED = (
    "Issuetrak user *{user}* has another email than yours, so I asked {approvers} to approve it; I will tell you "
    "their answer here. Until then nothing is read or written as *{user}*."
)
LINK_REQUEST_UNDELIVERED = (
    "I could not reach any admin ({admins}) just now, so your request to write as *{user}* is dropped; "
    "try again later, or ask one of them directly."
)
REQUEST_WITHDRAWN = "Your pending request to write as *{user}* is withdrawn."
LINK_ALREADY_ASKED = (
    "You already asked to write as *{user}*; an admin has not answered yet (`/tracker unlink` withdraws it)."
)
LINK_ALREADY = "You already write as Issuetrak user *{user}*."
LINK_TAKEN = "Issuetrak user *{user}* is tied to <@{holder}>; unlink them first with `/tracker unlink @person`."
LINK_EMAIL_TAKEN = (
    "Issuetrak user *{user}* is tied to another Slack person (<@{holder}>); ask {approvers} to sort it out."
)
LINKED_OTHER = "Done: <@{person}> now writes in Issuetrak as *{user}*."
ADMINS_ONLY = "Only trackerbot's admins (TRACKER_ADMINS) can link or unlink other people."
UNLINKED = (
    "Done: you no longer write as Issuetrak user *{user}* (if your Slack email is its email, you are matched "
    "to it again)."
)
UNLINKED_OTHER = "Done: <@{person}> no longer writes as Issuetrak user *{user}*."
NOT_TIED = "You are not tied to an Issuetrak user by a link."
# `unlink` of an email match: nothing changes, and why (the match is made again at once).
UNLINK_EMAIL_MATCH = (
    "Nothing changed: you write as Issuetrak user *{user}* because your Slack email is its email, not by a "
    "link, so there is nothing to unlink. An Issuetrak admin can change that user's email."
)
UNLINK_EMAIL_MATCH_OTHER = (
    "Nothing changed: <@{person}> writes as Issuetrak user *{user}* because their Slack email is its email, "
    "not by a link, so there is nothing to unlink."
)
NOT_TIED_OTHER = "<@{person}> is not tied to an Issuetrak user by a link."

LINK_REQUEST_TITLE = "<@{person}> asks to write in Issuetrak as *{user}*, whose email is not theirs."
LINK_REQUEST_SLACK = "*Slack*\n{name}\n`{id}`\n{email}"
LINK_REQUEST_ISSUETRAK = "*Issuetrak*\n{name}\n`{id}`\n{email}"
LINK_REQUEST_TEXT = "<@{person}> asks to write in Issuetrak as {user}."
APPROVE_BUTTON = "Approve"
DENY_BUTTON = "Deny"
LINK_APPROVED = "Approved by <@{admin}>: <@{person}> now writes in Issuetrak as *{user}*."
LINK_DENIED = "Denied by <@{admin}>: <@{person}> does not write as *{user}*."
LINK_ALREADY_DECIDED = "This request was already {state} by <@{admin}>."
LINK_REQUEST_GONE = "This link request is out of date."
LINK_APPROVE_TAKEN = (
    "Issuetrak user *{user}* is now tied to <@{holder}>, so this request is still open: unlink them first "
    "(`/tracker unlink @person`), then approve again, or deny it."
)
DECIDE_ADMINS_ONLY = "Only trackerbot's admins (TRACKER_ADMINS) can approve or deny link requests."
YOUR_LINK_APPROVED = "An admin approved your request: you now write in Issuetrak as *{user}*."
YOUR_LINK_DENIED = "An admin denied your request to write in Issuetrak as *{user}*."

HOME_GUEST = "Guest accounts cannot read or write Issuetrak through trackerbot in this workspace."
HOME_LINK_AUDIT = "*Link decisions* (admins only)"
HOME_NO_AUDIT = "No link decisions yet."
AUDIT_ACTIONS = {
    "link": "<@{actor}> tied <@{subject}> to *{user}*",
    "request": "<@{subject}> asked to write as *{user}*",
    "approve": "<@{actor}> approved <@{subject}> as *{user}*",
    "deny": "<@{actor}> denied <@{subject}> as *{user}*",
    "unlink": "<@{actor}> untied <@{subject}> from *{user}*",
}

# --- the outbox: delivery across processes ---------------------------------------------------------
ISSUETRAK_REFUSED = "Issuetrak refused it."
NOTE_FOOTER = "Posted from Slack by {person} ({person_id})"
NOTE_FOOTER_CHANNEL = " in #{channel}"
NOTE_FOOTER_LINK = "view message"

# --- the /tracker grammar (bot/slack/command_parser.py) ---------------------------------------------
COMMAND_TOO_LONG = "That is {length:,} characters; `/tracker` takes at most {limit:,}."
COMMAND_UNKNOWN = "I don't know `{verb}`; `/tracker help` lists what I do."
ISSUE_USAGE = "Give an issue number, for example `/tracker issue 123`."
NOTE_USAGE = "Give an issue number and the note, for example `/tracker note 123 printer fixed`."
NOTE_TEXT_MISSING = "Write the note after the issue number, for example `/tracker note {number} printer fixed`."
PROJECT_USAGE = "Give a project ID, a Jira key or a name, for example `/tracker project 1` or `/tracker project WEB`."
ASSET_USAGE = "Give an asset key or words, for example `/tracker asset LAPTOP-0042` or `/tracker asset laptop`."
DIGEST_TIME_USAGE = "Give a time as HH:MM, for example `/tracker digest daily 09:00 Europe/Paris`."
DIGEST_USAGE = "Use `/tracker digest now`, `digest daily 09:00 [Europe/Paris]`, `digest off` or `digest list`."
LINK_USAGE = "Give your Issuetrak user ID, for example `/tracker link jdoe` (admins: `/tracker link @person jdoe`)."
UNLINK_USAGE = "Type `/tracker unlink` to untie yourself (admins: `/tracker unlink @person`)."

# A mistake gets one line: the command probably meant, and how it is used (bot/slack/command_parser.py).
COMMAND_DID_YOU_MEAN = "I don't know `{verb}`: did you mean `/tracker {meant}`? {usage}"
PROJECTS_USAGE = "Type `/tracker projects` to list the projects."
HELP_USAGE = "Type `/tracker help` for everything I do."
ISSUE_NOT_A_NUMBER = "`{given}` is not an issue number. {usage}"
WATCH_WHICH_KIND = "Did you mean `/tracker {verb} issue {number}`? {usage}"
LINK_MENTION_UNRESOLVED = (
    "I could not tell who `{given}` is: pick the person from the list Slack shows as you type `@`. {usage}"
)

# --- cards and the Home tab ----------------------------------------------------------------------------
NO_PROJECTS_TO_SHOW = "No projects to show."
MORE_ATTRIBUTES = "…and {count} more attributes"
ASSETS_SHOWN = "Showing {first}–{last} of {total} for {query}"
NO_ASSETS_MATCH = "No assets match {query}."
HOME_NO_TRACKERS = "No tracker is set up yet."
HOME_NO_DIGESTS = "None yet: `/tracker digest daily 09:00` in a channel."

# --- digests and answers -------------------------------------------------------------------------------
DIGEST_NEEDS_ATTENTION = "{count} of {checked} projects need attention"
DIGEST_ISSUES = "{opened} issues opened, {closed} closed in 24 h, {still_open} open"
DIGEST_TASKS_DUE = "{count} {trackers} tasks due within {days}"
DIGEST_NOT_READ = "{trackers} could not be read"
DIGEST_PROJECTS_NOT_READ = "{failed} of {listed} projects could not be read ({error})"
DIGEST_ALL_ON_TRACK = "All projects are on track."
DIGEST_NO_ISSUE_ACTIVITY = "No issues opened or closed."
ATTENTION_OVERDUE = "overdue by {days}"
ATTENTION_BEHIND = "behind schedule ({percent:.0f}% done)"
ATTENTION_HEALTH = "health: {health}"
ATTENTION_OVERDUE_TASKS = "{count} overdue task{s}"
TOOK_TOO_LONG = "That took too long, so I stopped; please try again in a minute."
INTERRUPTED = "I was stopped before I could finish (trackerbot may be restarting); please try again in a minute."
DIGEST_NOW_NOT_ALLOWED = "Only the people an admin listed can post this channel's digest."
DIGEST_NOW_NOT_TAKEN = "Slack did not take the digest just now; please try again in a minute."
DIGEST_NOW_TOO_SOON = "A digest was asked for in this channel less than a minute ago; ask again in {seconds} s."

# --- hostile requests and /healthz -----------------------------------------------------------------------
BODY_TOO_LARGE = "Request body too large."
BAD_REQUEST = "Bad request."
BAD_SIGNATURE = "Invalid request signature."
HEALTHZ_BAD_TOKEN = "Wrong or malformed Authorization header; send `Authorization: Bearer <HEALTHZ_TOKEN>`, or none."
TOO_MANY_BODIES = "Too many requests at once; try again in a moment."
BODY_TOO_SLOW = "The request body took too long to arrive."
HEAD_TOO_LARGE = "Request line and headers too large."

# --- rough edges: forms ---
ASSETS_FROM = "from {first}"
PRIVATE_NOTE_ADDED = "Added note {note} to Issuetrak issue <{url}|#{issue}>, marked private."
PRIVATE_NOTE_ALREADY = (
    "This message is already a note on Issuetrak issue <{url}|#{issue}> (note {note}, marked private)."
)
PRIVATE_NOTE_SAVED = (
    "Issuetrak is not answering, so I saved your note for issue #{issue}, marked private; "
    "I will post it when Issuetrak answers and tell you."
)
PRIVATE_NOTE_FAILED = "I could not post your note, marked private, to Issuetrak issue #{issue}: {error}"

# --- rough edges: set-up ---
DATABASE_NOT_OPENED = "DATABASE_URL: the database could not be opened: {cause}"

# --- rough edges: what people type -----------------------------------------------------------------------
ISSUE_EXTRA_WORDS = "`/tracker issue` takes one issue number; I don't know what to do with `{extra}`."
ISSUE_NUMBER_TOO_LONG = "`{number}` is too long for an issue number; Issuetrak numbers have at most 9 digits."
DIGEST_NOW_UNKNOWN_SCOPE = (
    "I found no tracker or project called “{scope}”, so I posted nothing. After `digest now`, give "
    "issuetrak, projectrak, kitsu or a project's ID, key or name, or nothing for every tracker."
)
DIGEST_NO_PROJECTS_CHECKED = "No open projects to check"
DIGEST_THE_ONE_PROJECT_NEEDS_ATTENTION = "The one project checked needs attention"
DIGEST_THE_ONE_PROJECT_ON_TRACK = "The one project checked is on track"
ACCOUNT_INACTIVE = (
    "Your Slack email {email} belongs to Issuetrak user *{user}*, whose account is inactive in Issuetrak, "
    "so I cannot read or write Issuetrak as you. An Issuetrak administrator can reactivate it."
)

# --- follow the work: watches ---------------------------------------------------------------------
WATCH_USAGE = "Use `/tracker watch issue 123` or `/tracker watch project <ID, key or name>`."
UNWATCH_USAGE = "Use `/tracker unwatch issue 123` or `/tracker unwatch project <ID, key or name>`."
WATCHING_EXTRA = "`/tracker watching` takes nothing after it; it lists the watches of this channel (in a DM, yours)."
WATCH_STARTED = "This channel will hear of changes to {item} in a thread of its own (checked every {every})."
WATCH_STARTED_PERSONAL = "You will hear of changes to {item} here, in a thread of its own (checked every {every})."
WATCH_ALREADY = "This channel is already watching {item}."
WATCH_ALREADY_PERSONAL = "You are already watching {item}."
WATCH_FULL = (
    "This channel already watches {cap} items, as many as it may; `/tracker unwatch` one first "
    "(`/tracker watching` lists them)."
)
WATCH_FULL_PERSONAL = (
    "You already watch {cap} items here, as many as you may; `/tracker unwatch` one first "
    "(`/tracker watching` lists them)."
)
WATCH_SEVERAL_PROJECTS = "Several projects match “{ref}”: {names}. Name one by its ID or key."
WATCH_PROJECT_CHOICE = "{name} ({tracker} {ref})"
WATCH_WHAT_ISSUE = "issue #{ref}"
WATCH_WHAT_PROJECT = "a project called “{ref}”"
UNWATCHED = "Stopped watching {item} in this channel."
UNWATCHED_PERSONAL = "You stopped watching {item}."
NOT_WATCHING = "This channel is not watching {what}."
NOT_WATCHING_PERSONAL = "You are not watching {what}."
UNWATCH_NOT_ALLOWED = "Only whoever set this watch, someone in its channel or an admin may stop it."
WATCHING_NONE = "This channel watches nothing yet: `/tracker watch issue 123` or `/tracker watch project WEB`."
WATCHING_NONE_PERSONAL = "You watch nothing here yet: `/tracker watch issue 123` or `/tracker watch project WEB`."
WATCHING_LIST = "This channel watches {count} of at most {cap}:"
WATCHING_LIST_PERSONAL = "You watch {count} of at most {cap} here:"
WATCHING_ENTRY = "{item}, set by <@{by}>"
WATCH_ISSUE_ITEM = "Issuetrak issue #{number} ({subject})"
WATCH_PROJECT_ITEM = "{tracker} project {name}"
WATCH_NEWS_OF = "News of {item}"
WATCH_CHANGED = "{field}: {old} → {new}"
WATCH_NOTE = "New note by {author}: {text}"
WATCH_MORE_NOTES = "…and {count} more new notes"
WATCH_GONE = "{item} can no longer be read ({reason}), so this watch has ended."
WATCH_NOTHING = "(none)"
WATCH_REFUSED = "{tracker} no longer lets trackerbot read it"
WATCH_FIELD_NAMES = {
    "status": "Status",
    "assignee": "Assignee",
    "priority": "Priority",
    "next_action": "Next action",
    "progress": "Progress",
    "health": "Health",
    "overdue_tasks": "Overdue tasks",
}
HOME_WATCHES = "Your watches"
HOME_WATCH_STOP = "Stop"
WATCH_ALREADY_ENDED = "That watch has already ended."
HOME_NO_WATCHES = "None yet: `/tracker watch issue 123` in a channel, or in a DM with me."
HOME_WATCH_WHERE = "{item}, in <#{channel}>"
HOME_WATCH_WHERE_PERSONAL = "{item}, by DM"
WATCH_HERE_BUTTON = "Watch here"


# --- follow the work: unfurls and card buttons ----------------------------------------------------

# --- service: deploy ------------------------------------------------------------------------------
# Said to whoever runs the bot when start-up is refused (bot/running/platform.py), after "trackerbot cannot start: ".
EPHEMERAL_SQLITE = (
    "DATABASE_URL is SQLite, but this is {platform}, whose disk is wiped at every restart and deploy: links, "
    "digests and queued writes would be lost. Set DATABASE_URL to a PostgreSQL database (README, Deploy), or "
    "ALLOW_EPHEMERAL_SQLITE=true if the database file is on a disk that is kept."
)
# The container's health check (bot/running/healthcheck.py), printed to the container's health log.
HEALTHCHECK_FAILED = "trackerbot health check: {url} answered {answer}"

# --- service: see inside --------------------------------------------------------------------------

# /healthz and /readyz: the database's detail, shown to the HEALTHZ_TOKEN holder only
DATABASE_ANSWERED = "{database} answered in {ms:.0f} ms"
DATABASE_TOO_SLOW = "the database did not answer within {seconds:g} s"
DATABASE_FAILED = "the database failed a trivial query ({error})"
METRICS_BAD_TOKEN = "/metrics needs `Authorization: Bearer <HEALTHZ_TOKEN>`."

# --- service: start-up (bot/running/process.py): which trackers are on --------------------------------
TRACKERS_ON = "trackers on: {trackers}"
NO_TRACKER_ON = (
    "no tracker is configured: every /tracker command will answer that its tracker is not set up; set "
    "{switches} and their keys (.env.example)"
)

# --- service: scale out ---------------------------------------------------------------------------
WORKERS_NEED_POSTGRES = (
    "WEB_CONCURRENCY={workers} runs {workers} worker processes, and several processes need a PostgreSQL "
    "DATABASE_URL (SQLite serves one process): set DATABASE_URL=postgresql://… or WEB_CONCURRENCY=1."
)
WRITE_HANDED_OVER = (
    "trackerbot is restarting before Issuetrak answered, so your write waits in its queue: the next "
    "trackerbot process sends it and tells you. No need to send it again."
)

# --- find issues: /tracker search, /tracker mine ----------------------------------------------------
HELP_EXAMPLES.extend(
    [
        (
            "/tracker search printer jam · search vpn status:open priority:high project:7",
            "Issuetrak issues whose subject or description holds the words, newest first",
        ),
        ("/tracker mine · mine status:closed", "your Issuetrak issues: assigned to you, or the next action with you"),
    ]
)
SEARCH_USAGE = (
    "Tell me what to look for, e.g. `/tracker search printer jam`; filters: `status:open` or `status:closed`, "
    '`project:7` (or `project:"R&D lab move"`), `priority:high`, each once.'
)
MINE_USAGE = (
    "`/tracker mine` lists your open issues; filters: `status:closed`, `project:7`, `priority:high`, each once."
)
MINE_EXTRA_WORDS = "`/tracker mine` takes only filters, not `{extra}`; to look for words, use `/tracker search`."
SEARCH_STATUS_USAGE = "A status filter is `status:open` or `status:closed`, not `status:{status}`."
SEARCH_SHOWN = "Showing {first}–{last} of {total} for {query}"
SEARCH_NONE = "No Issuetrak issue matches {query}."
MINE_SHOWN = (
    "Your issues, {first}–{last} of {total}: {assigned} assigned to you, {next_action} with the next action for you"
)
MINE_NONE = "You have no issues matching “{filters}”: none assigned to you, none with the next action for you."
MINE_NONE_OPEN = "You have no open issues: none assigned to you, none with the next action for you."
SEARCH_UNKNOWN_PROJECT = "No Issuetrak project matches “{ref}”."
SEARCH_SEVERAL_PROJECTS = "“{ref}” matches several Issuetrak projects: {names}. Name one by its number."
SEARCH_UNKNOWN_PRIORITY = "Issuetrak has no priority “{name}”; its priorities are {names}."
SEARCH_SHOWN_TEXT = "Issues matching {words}"
MINE_SHOWN_TEXT = "Your issues"
SEARCH_PREVIOUS = "Previous"
SEARCH_MORE = "More"

# --- Kitsu: comment on a task, and move its status ---------------------------------------------------
KITSU_COMMENT_TITLE = "Add Kitsu comment"
KITSU_COMMENT_BUTTON = "Comment"
KITSU_NOT_MANAGER = (
    "trackerbot's Kitsu account is not a manager, so Kitsu would write the comment as trackerbot, not as you: "
    "nothing was written. Ask a Kitsu admin to make trackerbot's account a Production Manager."
)
KITSU_NO_ACCOUNT = (
    "Your Slack email {email} matches no active Kitsu account, so nothing was written: Kitsu comments are "
    "written as you. Ask a Kitsu admin to add you with that email."
)
KITSU_NOT_ON_TEAM = "You are not on the team of {production} in Kitsu, so nothing was written there."
KITSU_COMMENT_ADDED = "Commented on Kitsu task *{task}*, now *{status}*."
KITSU_COMMENT_ALREADY = "That comment is already on Kitsu task *{task}*."
KITSU_COMMENT_SAVED = (
    "Kitsu is not answering, so your comment on *{task}* is saved: it is posted when Kitsu answers, and you will "
    "hear of it."
)
KITSU_COMMENT_FAILED = "Your comment on Kitsu task *{task}* could not be posted: {error}"
KITSU_COMMENT_REFUSED = "Your comment on Kitsu task *{task}* was not posted: {reason}"
KITSU_COMMENT_FOOTER = "_from Slack · {tag}_"
KITSU_COMMENT_EMPTY = "Write the comment."
KITSU_COMMENT_TOO_LONG = "The comment is {length} characters long; Kitsu takes at most {limit}."
KITSU_CHOOSE_TASK = "Choose the production, then the entity and its task."
KITSU_CHOOSE_STATUS = "Choose the task's new status."
KITSU_TASK_ELSEWHERE = "That task is not in the production and entity chosen; choose them again."
KITSU_STATUS_ELSEWHERE = "That status is not one of this production's; choose another."
KITSU_NOT_ANSWERING_FORM = "Kitsu is not answering right now, so the task could not be checked; try again in a moment."
KITSU_FORM_PRODUCTION = "Production"
KITSU_FORM_ENTITY = "Asset or shot"
KITSU_FORM_TASK = "Task"
KITSU_FORM_STATUS = "New status"
KITSU_FORM_TEXT = "Comment"
KITSU_FORM_SUBMIT = "Comment"
# --- Workflow Builder steps (bot/services/steps.py) -----------------------------------------------
# A step's `fail` message: read by the person who built the workflow, in Workflow Builder's activity.
STEP_NO_PERSON = (
    "This step needs the person who runs the workflow: give its “{name}” input the value “Person who "
    "ran this workflow” (a user context), not a user picked by the workflow's builder."
)
STEP_PERSON_REFUSED = "{person} cannot use trackerbot's {tracker} steps: {reason}"
STEP_INPUT_MISSING = "The step's input “{name}” is empty: give it a value in Workflow Builder."
STEP_INPUT_NOT_NUMBER = "The step's input “{name}” must be a whole number, not “{value}”."
STEP_INPUT_NOT_TEXT = "The step's input “{name}” must be text."
STEP_INPUT_NOT_BOOLEAN = "The step's input “{name}” must be true or false."
STEP_INPUT_TOO_LONG = "The step's input “{name}” is {length:,} characters; it takes at most {limit:,}."
STEP_UNKNOWN_CHOICE = "“{value}” is not {what}. Use one of: {names}."  # what: "an Issuetrak priority"
STEP_CHOICES_UNREADABLE = (
    "{tracker} did not answer, so the {what} “{value}” could not be checked and nothing was saved: run "
    "the workflow again once {tracker} is back."
)
STEP_WRITE_SAVED = (
    "{tracker} did not answer in time. The write is saved (outbox #{item}) and will still be made as soon "
    "as {tracker} answers; the person who ran the workflow is told then. Do not run the workflow again "
    "for it."
)
STEP_WRITE_FAILED = "{tracker} refused the write (outbox #{item}): {error}"
STEP_WRITE_REFUSED = "The write was not made (outbox #{item}), and will not be: {reason}"
STEP_NO_PROJECT = "No project matches “{ref}” in {where}."
STEP_MANY_PROJECTS = "“{ref}” matches {count} projects ({names}): use a project's key or ID instead."
STEP_UNEXPECTED = "Something went wrong on trackerbot's side; the team has the details. Run the workflow again later."
# add_kitsu_comment: the task input is a task's ID, its Kitsu page, or its names
STEP_KITSU_TASK_REF = (
    "The step's input “task” must be a Kitsu task's ID or page URL, or “Production / Asset or shot / Task "
    "type” (e.g. “Moonrise / Luna / Modeling”), not “{value}”."
)
TRACKER_REFUSED = "{tracker} refused it."
STEP_KITSU_NO_TASK = "Kitsu has no task “{task}”."
STEP_KITSU_MANY_ENTITIES = "“{value}” names {count} assets or shots of {production}: use the task's ID instead."
# --- trust: whose rights a watch or digest uses, and whose issues a person sees --------------------
SCOPE_NEEDS_USER = (
    "This workspace shows each person only their own organization's Issuetrak issues, so seeing one needs "
    "your Issuetrak user: type `/tracker link &lt;your Issuetrak user ID&gt;`."
)
SCOPE_NO_ORGANIZATION = (
    "This workspace shows each person only their own organization's Issuetrak issues, and your Issuetrak "
    "user *{user}* belongs to no organization, so you see none. Ask an Issuetrak admin to set yours."
)
SCOPE_NOT_YOURS = "Issue #{number} is not one of your organization's issues, so it is not shown here."
DIGEST_ISSUES_LEFT_OUT = "issues left out: Issuetrak could not say whether whoever asked may read them"
WATCHING_ENTRY_PAUSED = "{item}, set by <@{by}>, *paused* (they may no longer read it)"
DIGEST_LIST_PAUSED = (
    "This channel's digest (every day at {time} ({zone}){scope}, set up by <@{user}>) is *paused*: "
    "<@{user}> may no longer read what it shows. Anyone here who may can resume it with "
    "`/tracker digest daily {time} {zone}{scope_arg}`."
)
WATCHES_PAUSED = (
    "<@{owner}> set this channel's watch of {items}, and may no longer read it, so it has stopped. "
    "Anyone here who may read it can resume it (it then acts for them): {commands}."
)
DIGEST_PAUSED = (
    "<@{owner}> set up this channel's daily digest, and may no longer read what it shows, so it has stopped. "
    "Anyone here who may read it can resume it (it then acts for them): `/tracker digest daily {time} {zone}{scope}`."
)
WATCH_RESUMED = "Resumed this channel's watch of {item}; it now acts with your rights (it was <@{owner}>'s)."
PERSON_UNKNOWN = "Slack no longer knows this person."
# --- trust: rights decided when a write goes out, links that give nothing away ---------------------
SLACK_ACCOUNT_DEACTIVATED = (
    "Slack says your account is deactivated (or does not know it), so nothing is read or written in Issuetrak as you."
)
LINKED_ACCOUNT_INACTIVE = (
    "Your Slack account is tied to Issuetrak user *{user}*, which is inactive in Issuetrak (or gone), so I cannot "
    "read or write Issuetrak as you; an Issuetrak administrator can reactivate it."
)
# A saved write whose person may no longer write it when it goes out (never sent, never retried).
NOTE_REFUSED = "I did not send your saved note for Issuetrak issue #{issue}, and will not: {reason}"
PRIVATE_NOTE_REFUSED = "I did not send your saved private note for Issuetrak issue #{issue}, and will not: {reason}"
ISSUE_REFUSED = "I did not create your saved Issuetrak issue “{subject}”, and will not: {reason}"
LINK_EMAIL_OWNER = (
    "Issuetrak user *{user}* belongs to <@{holder}>, whose Slack email is its email, so I can't give it to "
    "anyone else; fix the email in Issuetrak or in Slack first."
)
LINK_OWNER_UNKNOWN = (
    "Slack is busy and could not tell me whether someone's Slack email is Issuetrak user *{user}*'s, so "
    "nothing was linked; try again in a minute."
)
# A note form sent again with another issue number: what became of the earlier note (said to the person alone).
CORRECTION_REPLACED = "Your earlier note from this form, for issue #{issue}, was not sent: this one replaces it."
CORRECTION_TOO_LATE = (
    "Your earlier note from this form was already added to issue #{issue}, so that issue keeps it too."
)
CORRECTION_ON_ITS_WAY = (
    "Your earlier note from this form was already on its way to issue #{issue}, so that issue may have it too."
)
WRITE_REPLACED = "This note was not sent: a correction from the same form replaced it."
# --- act on an issue: assign, next action, substatus, priority, target date -------------------------
HELP_EXAMPLES += [
    (
        "/tracker assign 123 @person · assign 123 me · next 123 @person",
        "assign issue 123, or give it its next action, as you (cards: Assign to me, Assign…, Next action…)",
    ),
    ("/tracker priority 123 urgent · substatus 123 in progress", "set an issue's priority or substatus, as you"),
]
ASSIGN_USAGE = "Use `/tracker assign 123 @person` or `/tracker assign 123 me`."
NEXT_USAGE = "Use `/tracker next 123 @person` or `/tracker next 123 me`."
PRIORITY_USAGE = "Use `/tracker priority 123 <name>`, e.g. `/tracker priority 123 urgent`."
SUBSTATUS_USAGE = "Use `/tracker substatus 123 <name>`, e.g. `/tracker substatus 123 in progress`."
# The fields a change names, by their Issuetrak (UpdateIssueDTO) names
CHANGE_FIELD_NAMES = {
    "AssignedTo": "Assignee",
    "NextActionTo": "Next action",
    "PriorityID": "Priority",
    "SubStatusID": "Substatus",
    "TargetDate": "Target date",
}
CHANGE_NOTHING = "(none)"
# The note each change writes as its person (then the footer saying who, from where)
CHANGE_NOTE = "{field}: {old} → {new} (from Slack)"
CHANGE_DONE = "{field} of Issuetrak issue #{issue}: {old} → {new}."
CHANGE_ALREADY = "That change is already made: {field} of issue #{issue} is {new}."
CHANGE_SAVED = (
    "Issuetrak is not answering, so I saved your change ({field} of issue #{issue} → {new}); "
    "I will make it when Issuetrak answers and tell you."
)
CHANGE_FAILED = "I could not change {field} of Issuetrak issue #{issue}: {error}"
CHANGE_REFUSED = "I did not change {field} of Issuetrak issue #{issue} to {new}, and will not: {reason}"
CHANGE_CONFLICT = (
    "{field} of issue #{issue} changed since your card was drawn: it is now {now}, so I left it. "
    "Apply anyway to make it {new}."
)
CHANGE_MISMATCH = "I set {field} of issue #{issue} to {new}, but Issuetrak now shows {now}: have a look at the issue."
CHANGE_SAME = "{field} of issue #{issue} is already {new}."
CHANGE_APPLY_ANYWAY = "Apply anyway"
CHANGE_BY_ON_CARD = "<@{person}> changed {field}: {old} → {new}"
CHANGE_UNKNOWN_CHOICE = "Issuetrak has no {field} called “{name}”; it has: {names}."
CHANGE_PERSON_UNLINKED = (
    "<@{person}> has no Issuetrak user trackerbot may act for (their Slack email matches none, and no admin "
    "tied one to them), so the issue cannot be given to them; they can ask with `/tracker link <user>`."
)
CHANGE_WATCH_BY = "{line} (by <@{person}>, from Slack)"
CHANGE_CARD_REFRESH = "Refresh"
CHANGE_ASSIGN_ME = "Assign to me"
CHANGE_ASSIGN_PICK = "Assign…"
CHANGE_NEXT_PICK = "Next action…"
CHANGE_PRIORITY_PICK = "Priority"
CHANGE_SUBSTATUS_PICK = "Substatus"
CHANGE_TARGET_PICK = "Target date"

# A write whose idempotency key another person's write already holds (a replay, never Slack's own).
WRITE_NOT_YOURS = "That request was already made by someone else, so nothing was written for you."

# --- triage channels: subscriptions to new issues (bot/services/triage.py) ---
HELP_EXAMPLES.extend(
    [
        (
            "/tracker subscribe issues priority:High,Urgent -substatus:Spam · subscribe project 3 events:new,notes",
            "new Issuetrak issues posted here as cards; later news in each card's thread",
        ),
        (
            '/tracker subscribe production "Demo Feature" task_type:Modeling -status:WIP',
            "a Kitsu production's task status changes here, one thread per asset or shot",
        ),
        ("/tracker subscriptions · unsubscribe 2", "this channel's subscriptions, with Edit and Remove"),
    ]
)
SUBSCRIBE_USAGE = (
    "Use `/tracker subscribe issues [filters]` or `/tracker subscribe project <ID or name> [filters]`; "
    "filters like `priority:High,Urgent type:Hardware -submitter:monitor@example.com -substatus:Spam`, "
    "events with `events:new,closed,assigned,notes,status` (default `new,closed`). "
    "A Kitsu production: `/tracker subscribe production <name or ID> [task_type:…] [status:…]`."
)
SUBSCRIBE_WHAT = "I don't understand `{word}` there. " + SUBSCRIBE_USAGE
SUBSCRIBE_BAD_FILTER = "I don't know the filter `{name}`. Filters: priority, type, substatus, submitter, assignee."
SUBSCRIBE_BAD_EVENT = "I don't know the event `{event}`. Events: new, closed, assigned, notes, status."
SUBSCRIBE_UNKNOWN_VALUE = "No Issuetrak {name} is called “{value}”, so nothing was subscribed or changed."
SUBSCRIBE_IN_A_CHANNEL = "Subscriptions post in a channel: run this in the channel that should hear of new issues."
SUBSCRIBE_NO_ISSUETRAK = "Subscriptions follow Issuetrak issues, and Issuetrak is not set up here."
SUBSCRIBE_NOT_ISSUETRAK = "*{name}* is not an Issuetrak project; subscriptions follow Issuetrak issues."
SUBSCRIBE_FULL = "This channel has {cap} subscriptions, as many as it may; remove one first (`/tracker subscriptions`)."
SUBSCRIBE_NOT_IN_CHANNEL = (
    "I'm not in this channel, so I could not post what it subscribes to. Invite me with `/invite @trackerbot`, "
    "then subscribe again."
)
SUBSCRIBED = (
    "Subscribed: {subscription}. New issues will be posted here as cards; later news goes in each card's thread."
)
SUBSCRIPTION_UPDATED = "Subscription changed: {subscription}."
SUBSCRIPTION_SITE = "all Issuetrak issues"
SUBSCRIPTION_ENTRY = "{scope} · {filters} · events {events} · for <@{owner}>{paused}"
SUBSCRIPTION_NO_FILTERS = "no filters"
SUBSCRIPTION_PAUSED = " · _paused_"
SUBSCRIPTIONS_NONE = "This channel has no subscriptions. " + SUBSCRIBE_USAGE
SUBSCRIPTIONS_HEAD = "This channel's subscriptions ({count} of {cap}):"
SUBSCRIPTION_GONE = "That subscription was removed already."
UNSUBSCRIBE_USAGE = "Use `/tracker unsubscribe <n>`, n as `/tracker subscriptions` numbers them."
UNSUBSCRIBE_NO_SUCH = "This channel has no subscription {n} (it has {count}); see `/tracker subscriptions`."
UNSUBSCRIBED = "Unsubscribed: {subscription}."
SUBSCRIPTIONS_PAUSED = (
    "The subscriptions of this channel set by <@{owner}> ({scopes}) are paused: they may no longer read "
    "Issuetrak issues. Anyone here who may can resume one by subscribing to it again."
)
TRIAGE_FROM_SLACK = "(from Slack, by <@{user}>)"
TRIAGE_NOTE = "New note by {author}{by}: {text}"
TRIAGE_CLOSED = "Closed{by}."
TRIAGE_CHANGE = "{field}: {before} → {after}{by}"
TRIAGE_FIELDS = {
    "assigned": "Assignee",
    "next_action": "Next action",
    "substatus": "Substatus",
    "priority": "Priority",
    "status": "Status",
}
SUBSCRIPTION_FILTER_HINT = "Names separated by commas; a - before one leaves its issues out. Empty: no filter."
SUBSCRIPTION_EDIT_TITLE = "*{scope}*: change what you like; what you leave as it is stays as it is."

# --- Kitsu production subscriptions (bot/services/kitsu_subscriptions.py) ---
KITSU_SUBSCRIBE_USAGE = (
    "Use `/tracker subscribe production <name or ID> [task_type:Modeling,Shading] [status:Done,-WIP]`: "
    "task status changes of that Kitsu production, one thread per asset or shot."
)
KITSU_SUBSCRIBE_WHAT = "I don't understand `{word}` there. " + KITSU_SUBSCRIBE_USAGE
KITSU_SUBSCRIBE_BAD_FILTER = "I don't know the filter `{name}` for a Kitsu production. Filters: task_type, status."
KITSU_SUBSCRIBE_NO_KITSU = "Production subscriptions follow Kitsu, and Kitsu is not set up here."
KITSU_SUBSCRIBE_BAD_REF = "“{ref}” is not a Kitsu production's name or ID. " + KITSU_SUBSCRIBE_USAGE
KITSU_SUBSCRIBE_NO_PRODUCTION = (
    "You are on no open Kitsu production called “{ref}”, so nothing was subscribed. "
    "Give its exact name or its ID (from its address in Kitsu)."
)
KITSU_SUBSCRIBE_GONE = "Kitsu has no such production any more."
KITSU_SUBSCRIBE_NOT_ON_TEAM = "<@{user}> is not on the team of {production} in Kitsu."
KITSU_SUBSCRIBE_NO_ACCOUNT = "<@{user}>'s Slack email matches no active Kitsu account."
KITSU_SUBSCRIBE_UNKNOWN_VALUE = "No Kitsu {name} is called “{value}”, so nothing was subscribed or changed."
KITSU_SUBSCRIBED = (
    "Subscribed: {subscription}. The first status change of each asset or shot is posted here; "
    "its later changes go in that message's thread."
)
KITSU_SUBSCRIPTION_EVENTS = "task status changes"
KITSU_SUBSCRIPTIONS_PAUSED = (
    "The subscription of this channel to {production} set by <@{owner}> is paused: {why} "
    "Anyone here on that production's team can resume it by subscribing to it again."
)
KITSU_CHANGE_HEAD = "*{entity}*{kind} in {production}"
KITSU_CHANGE = "{task_type}: {before} → {after}{by}"
KITSU_CHANGE_BY = ", by {person}"
KITSU_CHANGE_AT = ", {when}"

# --- personal notifications by DM (bot/services/notify.py) ---
NOTIFY_HEAD = "*Your DMs about Issuetrak issues*, when:"
NOTIFY_HOME = "Change them on my *Home* tab (click my name, then Home): each box saves at once."
NOTIFY_QUIET_IS = "Quiet hours: {start}–{end} in your Slack time zone (what happens then comes after, in one message)."
NOTIFY_QUIET_NONE = "Quiet hours: none (`/tracker notify quiet 22:00-07:00` sets them)."
NOTIFY_QUIET_SET = (
    "Quiet hours set: {start}–{end} in your Slack time zone. What happens then comes after, in one message."
)
NOTIFY_QUIET_OFF = "Quiet hours off: your DMs come as things happen."
NOTIFY_QUIET_USAGE = (
    "Use `/tracker notify quiet 22:00-07:00` (24-hour clock, your Slack time zone) or `/tracker notify quiet off`."
)
NOTIFY_USAGE = "Use `/tracker notify` to see your DM settings, or `/tracker notify quiet 22:00-07:00|off`."
NOTIFY_DM_HEAD = "Issuetrak issue #{number}: {subject}"
NOTIFY_SUMMARY_HEAD = "While your quiet hours lasted:"
HOME_NOTIFY = "DM me when"
NOTIFY_HOME_LINK = "Change them on my <{url}|Home tab>: each box saves at once."
NOTIFY_NOT_NOTIFIED = "For now you get none of these DMs: {why}"
NOTIFY_NO_ISSUETRAK = "For now you get none of these DMs: Issuetrak is not set up for this workspace."
HOME_QUIET = "*Quiet hours*, in your Slack time zone: DMs wait, then come in one message."
HOME_QUIET_FROM = "From"
HOME_QUIET_TO = "To"
HOME_QUIET_OFF = "No quiet hours"
HOME_QUIET_HINT = "Pick a start and an end; each change saves at once."
NOTIFY_QUIET_HOME_REFUSED = (
    "Your quiet hours are as they were: they need a start and an end that differ, each a time of day "
    "(HH:MM, 24-hour clock). Pick them again on my Home tab."
)
WATCH_FROM_SLACK = "{author} (from Slack)"


# --- sentences that name the trackers able to do something ------------------------------------------
NO_ASSET_TRACKER = "{trackers} is not set up for this workspace yet."


def either(names: Sequence[str]) -> str:
    """ "A", "A or B", "A, B or C"."""
    return " or ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))
