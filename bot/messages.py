"""Every sentence trackerbot says to a person, in one place (as Bolt keeps its own texts)."""

from __future__ import annotations

HELP_EXAMPLES: list[tuple[str, str]] = [
    ("/tracker issue 123", "an Issuetrak issue card"),
    ("/tracker note 123 printer fixed", "add a note to Issuetrak issue 123, as you"),
    ("/tracker project 7 · project WEB · project moonrise", "a project status card from Issuetrak, Projectrak or Kitsu"),
    ("/tracker projects", "the open projects across trackers"),
    ("/tracker asset LAPTOP-0042 · asset laptop", "an asset card, or the assets that match"),
    ("/tracker digest now", "this channel's digest, now"),
    ("/tracker digest daily 09:00 Europe/Paris · digest off · digest list", "schedule, stop or show this channel's digest"),
    ("/tracker link jdoe", "tie your Slack account to your Issuetrak user"),
]
HELP_INTRO = "Here is what `/tracker` can do:"
HELP_SHORTCUTS = "From any message's ⋯ menu: *Add as Issuetrak note* and *Create Issuetrak issue*."

WORKING = "Working on it…"
LOADING_TITLE = "Loading…"

NO_PROJECT = "I found no project matching “{ref}” in {where}."
NO_ASSET = "I found no asset matching “{query}”."
NO_PROJECTS = "There are no open projects in {where}."
NO_TRACKERS = "No tracker is set up yet: an admin sets them in trackerbot's settings."

NOT_LINKED = (
    "I could not find your Issuetrak user (your Slack email {email} matches none), so nothing was written. "
    "Link your account with `/tracker link &lt;your Issuetrak user ID&gt;`, then try again."
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
    "type `/tracker link &lt;your Issuetrak user ID&gt;`."
)
HOME_IDENTITY_UNKNOWN = "I could not check your Issuetrak user just now: {error}"
HOME_NO_ISSUETRAK = "Issuetrak is not set up for this workspace, so notes and issues cannot be written yet."

UNEXPECTED = "Something went wrong on trackerbot's side; the team has the details. Please try again."

# --- identity: links, link requests, guests, reads -----------------------------------------------

# --- the outbox: delivery across processes ---------------------------------------------------------

# --- digests and answers -------------------------------------------------------------------------------

# --- hostile requests and /healthz -----------------------------------------------------------------------
BODY_TOO_LARGE = "Request body too large."
BAD_REQUEST = "Bad request."
BAD_SIGNATURE = "Invalid request signature."
HEALTHZ_BAD_TOKEN = "Wrong or malformed Authorization header; send `Authorization: Bearer <HEALTHZ_TOKEN>`, or none."
TOO_MANY_BODIES = "Too many requests at once; try again in a moment."
BODY_TOO_SLOW = "The request body took too long to arrive."
HEAD_TOO_LARGE = "Request line and headers too large."
