"""Who a Slack person is in Issuetrak, and what they may do there.

The only self-service identity is the email match: the person's Slack email equals the Issuetrak
user's `EmailAddress` (case-insensitive). It is stored as an "email" link the first time it is used,
so that an Issuetrak user belongs to one Slack person at a time, and re-checked on every use: when
either email changes, the match goes with it. Any other tie is made by an admin, directly
(`link @person <id>`) or by approving a person's request; those stay until someone unlinks them.

Guests (`is_restricted`/`is_ultra_restricted`) may neither read nor write unless ALLOW_GUESTS, and
reading issues needs an identity unless OPEN_READS; ISSUE_SCOPE narrows which issues (`reader`). A Slack account that was deactivated (or that
Slack no longer knows) holds no Issuetrak user, and neither link nor email match lends anyone an
Issuetrak user that is inactive there.

Writes ask this rule twice: when they are asked for, and again when they go out (the outbox sends
each one as the Issuetrak user its person holds at that moment, see `bot.services.writes`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from bot import messages
from bot.runtime import Runtime
from bot.slack.directory import SlackBusy, SlackPerson
from bot.store.models import IdentityLinkHow, RequestState
from bot.trackers.errors import Unavailable
from bot.trackers.models import Issue, Person
from bot.trackers.pages import is_number

log = logging.getLogger(__name__)


class Refusal(StrEnum):
    GUEST = "guest"  # a Slack guest, and ALLOW_GUESTS is off
    NO_MATCH = "no_match"  # no email match and no link an admin made
    INACTIVE = "inactive"  # the email matches only Issuetrak users that are inactive
    LINK_INACTIVE = "link_inactive"  # the linked Issuetrak user is inactive there (or gone)
    DEACTIVATED = "deactivated"  # the Slack account was deactivated, or Slack no longer knows it
    TAKEN = "taken"  # the email matches an Issuetrak user another Slack person holds
    ISSUETRAK_DOWN = "issuetrak_down"  # the email could not be checked: Issuetrak did not answer


@dataclass(frozen=True)
class Standing:
    """The Issuetrak user a Slack person acts as (`user`, and `how` they came to), or why none.
    `detail` is Issuetrak's own sentence (ISSUETRAK_DOWN) or the matched Issuetrak user (TAKEN,
    with `holder` the Slack person who holds it; INACTIVE)."""

    user: str | None = None
    how: IdentityLinkHow | None = None
    refusal: Refusal | None = None
    detail: str = ""
    holder: str | None = None


def approvers(rt: Runtime) -> str:
    """Whom a person asks to have a link made or fixed."""
    admins = sorted(rt.settings.admins)
    if not admins:
        return messages.NO_APPROVERS
    return messages.APPROVERS.format(admins=", ".join(f"<@{admin}>" for admin in admins))


def shut_out(rt: Runtime, person: SlackPerson) -> bool:
    """Whether the person is a Slack guest and guests may not use the bot."""
    return person.guest and not rt.settings.ALLOW_GUESTS


def _same_email(person: SlackPerson, user: Person) -> bool:
    mine = (person.email or "").strip().casefold()
    return bool(mine) and mine == (user.email or "").strip().casefold()


async def identify(rt: Runtime, team: str, person: SlackPerson) -> Standing:
    """Who the person is in Issuetrak: a link an admin made, else the email match (claimed for
    them unless another Slack person holds that user). Issuetrak errors other than not answering
    propagate (NotConfigured, refused credentials)."""
    if shut_out(rt, person):
        return Standing(refusal=Refusal.GUEST)
    if person.deleted or not person.known:
        return Standing(refusal=Refusal.DEACTIVATED)
    identity_link = await rt.store.identity_link(team, person.id)
    issuetrak = rt.trackers.require_issuetrak()
    try:
        users = await issuetrak.list_users()
    except Unavailable as exc:
        return Standing(refusal=Refusal.ISSUETRAK_DOWN, detail=str(exc))
    if identity_link is not None and identity_link.how is not IdentityLinkHow.EMAIL:
        linked = next((u for u in users if u.id == identity_link.issuetrak_user_id), None)
        if linked is None or not linked.active:
            return Standing(refusal=Refusal.LINK_INACTIVE, detail=identity_link.issuetrak_user_id)
        return Standing(user=linked.id, how=identity_link.how)
    if identity_link is not None:
        held = next((u for u in users if u.id == identity_link.issuetrak_user_id), None)
        if held is not None and held.active and _same_email(person, held):
            return Standing(user=held.id, how=IdentityLinkHow.EMAIL)
        log.info("an email link of %s ended: the emails no longer match", person.id)
        await rt.store.forget_email_link(team, person.id, identity_link.issuetrak_user_id)
    matches = [u for u in users if _same_email(person, u)]
    active = [u for u in matches if u.active]
    if not active:
        return (
            Standing(refusal=Refusal.INACTIVE, detail=matches[0].id) if matches else Standing(refusal=Refusal.NO_MATCH)
        )
    matches = active
    return await _claim(rt, team, person, matches[0], IdentityLinkHow.EMAIL, by=person.id)


async def _claim(
    rt: Runtime, team: str, person: SlackPerson, user: Person, how: IdentityLinkHow, *, by: str
) -> Standing:
    holder = await rt.store.link_person(team, person.id, user.id, how=how, by=by, now=rt.clock())
    if holder.slack_user_id != person.id:
        return Standing(refusal=Refusal.TAKEN, detail=user.id, holder=holder.slack_user_id)
    return Standing(user=user.id, how=how)


def refusal_sentence(rt: Runtime, standing: Standing, person: SlackPerson, *, reading: bool = False) -> str:
    """Why the person may not act as anyone, and what to do about it."""
    email = person.email or "(none)"
    match standing.refusal:
        case Refusal.GUEST:
            return messages.GUEST_REFUSED
        case Refusal.TAKEN:
            return messages.EMAIL_USER_TAKEN.format(
                user=standing.detail, holder=standing.holder, approvers=approvers(rt)
            )
        case Refusal.ISSUETRAK_DOWN:
            return standing.detail
        case Refusal.INACTIVE:
            return messages.ACCOUNT_INACTIVE.format(email=email, user=standing.detail)
        case Refusal.LINK_INACTIVE:
            return messages.LINKED_ACCOUNT_INACTIVE.format(user=standing.detail)
        case Refusal.DEACTIVATED:
            return messages.SLACK_ACCOUNT_DEACTIVATED
    return (messages.READ_NEEDS_IDENTITY if reading else messages.NOT_LINKED).format(email=email)


def write_refusal(rt: Runtime, standing: Standing, person: SlackPerson) -> str | None:
    """Why the person may not write as anyone, or None: they have an Issuetrak user, or Issuetrak
    did not answer (the write is kept, and finds its author when it is sent)."""
    if standing.user is not None or standing.refusal is Refusal.ISSUETRAK_DOWN:
        return None
    return refusal_sentence(rt, standing, person)


# --- reading issues: the one read rule ---------------------------------------------------------
# Issuetrak issues are read with the site's key, so the bot decides who sees which: a person needs
# an Issuetrak user (unless OPEN_READS), and under ISSUE_SCOPE=organization sees only the issues of
# that user's organization. Projects, tasks and assets need no Issuetrak user (a guest still
# reads nothing unless ALLOW_GUESTS). Every path that shows an issue asks here: `reader` once per
# person, then `issue_refusal` for each issue; writes ask `scope_refusal` with the user they act as.


@dataclass(frozen=True)
class Reader:
    """Whether a person may read Issuetrak issues: `refusal` is None when they may, else the
    sentence why not (`down`: Issuetrak could not say who they are). `user` is their Issuetrak
    user when ISSUE_SCOPE=organization asks whose issues they see (None otherwise, or when they
    read under OPEN_READS without one)."""

    refusal: str | None
    user: Person | None = None
    down: bool = False


def scoped(rt: Runtime) -> bool:
    """Whether each person sees only their own organization's issues (ISSUE_SCOPE=organization)."""
    return rt.settings.ISSUE_SCOPE == "organization"


def scope_refusal(rt: Runtime, user: Person | None, issue: Issue) -> str | None:
    """ISSUE_SCOPE, the one rule of whose issues the Issuetrak user `user` may see, watch, unfurl
    and write on: None when they may; else the sentence why not. Under "all" every issue is
    everyone's; under "organization" only those whose OrganizationID is the user's, and a user
    with no organization (or nobody: OPEN_READS without a user) sees none."""
    return organization_refusal(rt, user, issue.number, issue.organization_id)


def organization_refusal(rt: Runtime, user: Person | None, number: int, organization: int | None) -> str | None:
    """`scope_refusal` for issue `number` of `organization` as read earlier (a watch's news)."""
    seen = scope_organization(rt, user)
    if seen is None or isinstance(seen, str):
        return seen
    return None if organization == seen else messages.SCOPE_NOT_YOURS.format(number=number)


def scope_organization(rt: Runtime, user: Person | None) -> int | str | None:
    """The organization whose issues the Issuetrak user `user` sees under ISSUE_SCOPE (a search
    asks Issuetrak for those only), the sentence saying why they see none, or None: every issue
    is everyone's."""
    if not scoped(rt):
        return None
    if user is None:
        return messages.SCOPE_NEEDS_USER
    if user.organization_id is None:
        return messages.SCOPE_NO_ORGANIZATION.format(user=user.id)
    return user.organization_id


async def note_scope_refusal(rt: Runtime, user_id: str, number: int) -> str | None:
    """`scope_refusal` for a note that Issuetrak user `user_id` writes on issue `number`, asked when
    it is recorded and again when it goes out; no Issuetrak call unless ISSUE_SCOPE=organization.
    Issuetrak's errors propagate (not answering: the note waits)."""
    if not scoped(rt):
        return None
    issuetrak = rt.trackers.require_issuetrak()
    users = await issuetrak.list_users()
    user = next((u for u in users if u.id == user_id), None)
    return scope_refusal(rt, user, await issuetrak.get_issue(number))


def issue_refusal(rt: Runtime, reader: Reader, issue: Issue) -> str | None:
    """Why the person `reader` describes may not see `issue`, or None."""
    return reader.refusal or scope_refusal(rt, reader.user, issue)


async def reader(rt: Runtime, team: str, person: SlackPerson) -> Reader:
    """Whether (and as which Issuetrak user) the person may read issues. Issuetrak errors other
    than not answering propagate, as in `identify`."""
    if shut_out(rt, person):
        return Reader(messages.GUEST_REFUSED)
    if rt.settings.OPEN_READS and not scoped(rt):
        return Reader(None)
    standing = await identify(rt, team, person)
    if standing.user is None:
        if rt.settings.OPEN_READS:  # scoped: a person without a user sees no organization's issues
            return Reader(None)
        down = standing.refusal is Refusal.ISSUETRAK_DOWN
        return Reader(refusal_sentence(rt, standing, person, reading=True), down=down)
    if not scoped(rt):
        return Reader(None)
    try:
        users = await rt.trackers.require_issuetrak().list_users()
    except Unavailable as exc:
        return Reader(str(exc), down=True)
    user = next((u for u in users if u.id == standing.user), None)
    return Reader(None, user=user or Person(id=standing.user, name=standing.user))


async def read_refusal(rt: Runtime, team: str, person: SlackPerson) -> str | None:
    """None when the person may read issues; else the sentence saying why not."""
    return (await reader(rt, team, person)).refusal


# --- link, unlink, requests --------------------------------------------------------------------


async def _active_user(rt: Runtime, user_id: str) -> Person | None:
    users = await rt.trackers.require_issuetrak().list_users()
    return next((u for u in users if u.id.casefold() == user_id.casefold() and u.active), None)


# The Slack person whose email this is, asked of Slack now (None: nobody has it); SlackBusy when
# Slack cannot say. `bot.slack.directory.email_owner` with the app's client.
EmailOwner = Callable[[str], Awaitable[str | None]]


async def _given_away(user: Person, to: str, owner_of: EmailOwner) -> str | None:
    """Why an admin may not tie `user` to the Slack person `to`: another Slack person holds it by
    email (their Slack email is its EmailAddress, whether or not they used the bot yet), or Slack
    cannot say just now (no guess). None when it is free to give."""
    if not user.email:
        return None
    try:
        owner = await owner_of(user.email)
    except SlackBusy:
        return messages.LINK_OWNER_UNKNOWN.format(user=user.id)
    if owner is None or owner == to:
        return None
    return messages.LINK_EMAIL_OWNER.format(user=user.id, holder=owner)


@dataclass(frozen=True)
class RequestToAdmins:
    """A request the admins must decide, for the Slack edge to send to each of `admins`
    (`bot.posting.identity_requests`), which then calls `request_sent` with those it reached."""

    id: int
    person: SlackPerson
    user: Person
    admins: list[str]


async def link_self(
    rt: Runtime, *, team: str, person: SlackPerson, issuetrak_user: str, owner_of: EmailOwner
) -> str | RequestToAdmins:
    """`/tracker link <id>`: the user whose email is the person's (or, for an admin, any user
    no other Slack person holds by email) is theirs at once (the answer is the sentence); any
    other becomes a request the admins approve or deny (the answer is the request to send them)."""
    user = await _active_user(rt, issuetrak_user)
    if user is None:
        return messages.LINK_UNKNOWN_USER.format(user=issuetrak_user)
    current = await rt.store.identity_link(team, person.id)
    if (
        current is not None
        and current.issuetrak_user_id == user.id
        and (current.how is not IdentityLinkHow.EMAIL or _same_email(person, user))
    ):
        return messages.LINK_ALREADY.format(user=user.id)
    is_admin = person.id in rt.settings.admins
    own = _same_email(person, user)
    if is_admin and not own and (refusal := await _given_away(user, person.id, owner_of)) is not None:
        return refusal
    if is_admin or own:
        standing = await _claim(
            rt, team, person, user, IdentityLinkHow.ADMIN if is_admin else IdentityLinkHow.EMAIL, by=person.id
        )
        if standing.refusal is Refusal.TAKEN and is_admin:
            return messages.LINK_TAKEN.format(user=user.id, holder=standing.holder)
        if standing.refusal is Refusal.TAKEN:
            return messages.LINK_EMAIL_TAKEN.format(user=user.id, holder=standing.holder, approvers=approvers(rt))
        return messages.LINKED.format(user=user.id)
    if not rt.settings.admins:
        return messages.LINK_ONLY_EMAIL.format(user=user.id, email=person.email or "(none)")
    request, created = await rt.store.request_link(team, person.id, user.id, rt.clock())
    if not created:
        return messages.LINK_ALREADY_ASKED.format(user=request.issuetrak_user_id)
    return RequestToAdmins(request.id, person, user, sorted(rt.settings.admins))


async def request_sent(rt: Runtime, *, team: str, request: RequestToAdmins, told: list[str]) -> str:
    """What the requester hears once the request went out to the admins in `told`; when it
    reached none, nobody could decide it, so it is withdrawn and the person may ask again later."""
    if not told:
        await rt.store.withdraw_request(team, request.person.id, rt.clock())
        return messages.LINK_REQUEST_UNDELIVERED.format(user=request.user.id, admins=approvers(rt))
    return messages.LINK_REQUESTED.format(user=request.user.id, approvers=approvers(rt))


async def link_other(
    rt: Runtime, *, team: str, admin: str, person: str, issuetrak_user: str, owner_of: EmailOwner
) -> str:
    """`/tracker link @person <id>`, for admins only, and never a user another Slack person
    holds by email."""
    if admin not in rt.settings.admins:
        return messages.ADMINS_ONLY
    user = await _active_user(rt, issuetrak_user)
    if user is None:
        return messages.LINK_UNKNOWN_USER.format(user=issuetrak_user)
    if (refusal := await _given_away(user, person, owner_of)) is not None:
        return refusal
    holder = await rt.store.link_person(team, person, user.id, how=IdentityLinkHow.ADMIN, by=admin, now=rt.clock())
    if holder.slack_user_id != person:
        return messages.LINK_TAKEN.format(user=user.id, holder=holder.slack_user_id)
    return messages.LINKED_OTHER.format(person=person, user=user.id)


async def unlink(rt: Runtime, *, team: str, actor: str, person: str | None) -> str:
    """`/tracker unlink` (oneself, which also withdraws one's pending request) or `unlink @person`
    (admins only)."""
    target = person or actor
    if target != actor and actor not in rt.settings.admins:
        return messages.ADMINS_ONLY
    identity_link = await rt.store.identity_link(team, target)
    if (
        identity_link is not None and identity_link.how is IdentityLinkHow.EMAIL
    ):  # nothing to untie: the email matches again at once
        if target != actor:
            return messages.UNLINK_EMAIL_MATCH_OTHER.format(person=target, user=identity_link.issuetrak_user_id)
        withdrawn = await rt.store.withdraw_request(team, actor, rt.clock())
        said = [messages.UNLINK_EMAIL_MATCH.format(user=identity_link.issuetrak_user_id)]
        if withdrawn:
            said.append(messages.REQUEST_WITHDRAWN.format(user=withdrawn.issuetrak_user_id))
        return " ".join(said)
    gone = await rt.store.unlink_person(team, target, by=actor, now=rt.clock())
    if target == actor:
        withdrawn = await rt.store.withdraw_request(team, actor, rt.clock())
        said = [messages.UNLINKED.format(user=gone) if gone else messages.NOT_TIED]
        if withdrawn:
            said.append(messages.REQUEST_WITHDRAWN.format(user=withdrawn.issuetrak_user_id))
        return " ".join(said)
    return (
        messages.UNLINKED_OTHER.format(person=target, user=gone)
        if gone
        else messages.NOT_TIED_OTHER.format(person=target)
    )


async def _approval_refused(rt: Runtime, team: str, request_id: int, owner_of: EmailOwner) -> str | None:
    """Why approving this request would give away its user, or None (also when the request is no
    longer pending or its user no longer active: deciding it says so)."""
    request = await rt.store.link_request(team, request_id)
    if request is None or request.state is not RequestState.PENDING:
        return None
    user = await _active_user(rt, request.issuetrak_user_id)
    return None if user is None else await _given_away(user, request.slack_user_id, owner_of)


@dataclass(frozen=True)
class Answer:
    """What the clicking admin sees: `sentence`, in place of the request (`replace`) or beside it;
    and, when the click decided the request, what the requester is told by direct message
    (`requester`, `told`), which the Slack edge sends."""

    sentence: str
    replace: bool
    requester: str | None = None
    told: str = ""


async def decide(rt: Runtime, *, team: str, admin: str, value: str, approve: bool, owner_of: EmailOwner) -> Answer:
    """An Approve or Deny click on a link request: only an admin's counts, once; an approval
    never gives away a user another Slack person holds by email (the request then stays)."""
    if admin not in rt.settings.admins:
        return Answer(messages.DECIDE_ADMINS_ONLY, replace=False)
    if not is_number(value, 18):
        return Answer(messages.LINK_REQUEST_GONE, replace=True)
    if approve and (refusal := await _approval_refused(rt, team, int(value), owner_of)) is not None:
        return Answer(refusal, replace=False)
    decision = await rt.store.decide_request(team, int(value), admin=admin, approve=approve, now=rt.clock())
    request = decision.request
    if request is None:
        return Answer(messages.LINK_REQUEST_GONE, replace=True)
    if decision.taken_by is not None:
        return Answer(
            messages.LINK_APPROVE_TAKEN.format(user=request.issuetrak_user_id, holder=decision.taken_by.slack_user_id),
            replace=False,
        )
    if request.state is RequestState.WITHDRAWN:
        return Answer(messages.LINK_REQUEST_GONE, replace=True)
    if not decision.decided:
        state = "approved" if request.state is RequestState.APPROVED else "denied"
        return Answer(messages.LINK_ALREADY_DECIDED.format(state=state, admin=request.decided_by), replace=True)
    told = messages.YOUR_LINK_APPROVED if approve else messages.YOUR_LINK_DENIED
    done = messages.LINK_APPROVED if approve else messages.LINK_DENIED
    return Answer(
        done.format(admin=admin, person=request.slack_user_id, user=request.issuetrak_user_id),
        replace=True,
        requester=request.slack_user_id,
        told=told.format(user=request.issuetrak_user_id),
    )
