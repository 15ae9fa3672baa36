"""Every message the registry gives a person, each under a stable code: the one catalogue.

A message is a ``Text``: the English words (a ``str``, so the API, the CLI and the logs use it as
it is) that keep their code and the values formatted into them. Errors take their code from the
``Text`` they are raised with (``registry.errors``); a page looks the code up here and shows the
words in its language (``registry.web.i18n.translate``), so nothing is ever matched by its
English. The English is marked with ``N_`` for ``pybabel extract``; placeholders are
``str.format`` fields (``{status}``), filled by ``Text.format`` as marshmallow fills its own.

Pure: no Flask, no marshmallow (``registry.schemas`` hands marshmallow's own messages their
codes from here).
"""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:  # the marker name pybabel knows
    """Marks English for extraction without translating it here."""
    return text


class Text(str):
    """English words that keep their ``code``, their ``template`` and the ``values`` in them."""

    code: str
    template: str
    values: dict[str, Any]

    def __new__(cls, code: str, template: str, values: dict[str, Any] | None = None) -> Text:
        words = (
            template.format(**{k: words_of(v) for k, v in values.items()}) if values else template
        )
        text = super().__new__(cls, words)
        text.code, text.template, text.values = code, template, dict(values or {})
        return text

    def format(self, *args: object, **values: Any) -> Text:
        """The same message with its placeholders filled (marshmallow calls this too)."""
        return Text(self.code, self.template, {**self.values, **values})

    def __reduce__(self) -> tuple[type[Text], tuple[str, str, dict[str, Any]]]:  # copy, pickle
        return Text, (self.code, self.template, self.values)


def words_of(value: Any) -> str:
    """A value as it is written into a message: a list of values is joined with "; "."""
    return "; ".join(map(str, value)) if isinstance(value, list) else str(value)


#: code -> the message (its English template)
CATALOGUE: dict[str, Text] = {}


def _text(code: str, english: str) -> Text:
    if code in CATALOGUE:
        raise ValueError(f"message code {code!r} is defined twice")
    CATALOGUE[code] = Text(code, english)
    return CATALOGUE[code]


def coded(message: Any) -> Text | None:
    """The catalogue's entry for a message that carries a known code (None: plain words)."""
    code = getattr(message, "code", None)
    return CATALOGUE.get(code) if isinstance(code, str) else None


# -- one per error class (``registry.errors``) and for the other answers of the error handler ----
INTERNAL_ERROR = _text("internal_error", N_("The registry could not complete the request."))
VALIDATION_FAILED = _text("validation_failed", N_("Some fields are not valid."))
IMPORT_FAILED = _text("import_failed", N_("The file has errors; nothing was imported."))
BAD_REQUEST = _text("bad_request", N_("The request is not valid."))
AUTHENTICATION_FAILED = _text(
    "authentication_failed",
    N_("Sign in first: the credentials or token are missing, wrong or expired."),
)
TOO_MANY_ATTEMPTS = _text(
    "too_many_attempts", N_("Too many failed sign-ins; wait a few minutes and try again.")
)
PERMISSION_DENIED = _text("permission_denied", N_("Your role or area does not allow this."))
PASSWORD_CHANGE_REQUIRED = _text(
    "password_change_required",
    N_(
        "Your password was reset and must be changed before the API can be used: "
        "sign in on the registry's pages and choose a new password."
    ),
)
NOT_FOUND = _text("not_found", N_("No such resource."))
CONFLICT = _text("conflict", N_("The request conflicts with the current state of the resource."))
BUSY = _text("busy", N_("The registry is busy; nothing was stored. Try again in a moment."))
UNAVAILABLE = _text(
    "unavailable", N_("This part of the registry is not available on this server right now.")
)
ALREADY_STORED = _text("already_stored", N_("The request conflicts with data already stored."))
NOT_STORABLE = _text(
    "not_storable",
    N_("A value in the request cannot be stored (for example a NUL character in text)."),
)
DATABASE_UNAVAILABLE = _text(
    "database_unavailable", N_("The registry database is unavailable; try again shortly.")
)
NOT_MIGRATED = _text(
    "not_migrated",
    N_("The registry database is not set up yet: an administrator runs `crvs db upgrade`."),
)
CSRF_REFUSED = _text(
    "csrf_refused",
    N_(
        "The form's security token (CSRF) is missing or no longer valid; reload the page and "
        "try again."
    ),
)
IDEMPOTENCY_KEY_REUSED = _text(
    "idempotency_key_reused", N_("This Idempotency-Key was already used for a different request.")
)

# -- who may do what (PermissionDenied) -----------------------------------------------------------
OUTSIDE_AREA = _text("outside_area", N_("This is outside your area."))
AREA_OUTSIDE_YOURS = _text("area_outside_yours", N_("This area is outside yours."))
ONLY_ROLES = _text("only_roles", N_("Only {roles} may do this."))
READERS_ONLY = _text("readers_only", N_("Only clerks and registrars read records."))
SEARCHERS_ONLY = _text("searchers_only", N_("Only clerks and registrars search records."))
OWN_CORRECTION = _text(
    "own_correction",
    N_(
        "A correction is approved by a second registrar; you requested this one, so another "
        "registrar of the area must approve it."
    ),
)
REGISTERED_NEVER_REJECTED = _text(
    "registered_never_rejected", N_("A registered record is never rejected; correct it instead.")
)
PAIR_SPANS_AREAS = _text(
    "pair_spans_areas", N_("This pair spans areas: it {awaits} whose area covers both records.")
)
NEEDS_APPROVAL = _text(
    "needs_approval",
    N_("A delayed registration needs approval by a registrar of {level} level first."),
)

# -- states that do not allow an action (Conflict) -------------------------------------------------
CHANGED_MEANWHILE = _text(
    "changed_meanwhile", N_("This record was changed meanwhile; reload it and try again.")
)
DUPLICATE_PENDING = _text(
    "duplicate_pending", N_("A suspected duplicate of this record awaits a registrar's decision.")
)
DUPLICATE_DECIDED = _text(
    "duplicate_decided",
    N_(
        "This record was decided to be a duplicate ({reason}). It cannot be resubmitted, "
        "amended or registered while that decision stands; a registrar whose area covers both "
        "records may reopen it."
    ),
)
REGISTRATION_CANCELLED = _text(
    "registration_cancelled",
    N_("This registration was cancelled ({reason}); it stays readable but never changes."),
)
ALREADY_DECIDED = _text(
    "already_decided", N_("This suspected duplicate was already decided ({status}).")
)
NOT_REOPENABLE = _text(
    "not_reopenable", N_("Only a pair decided as duplicate is reopened; this one is {status}.")
)
DECISION_UNBOUND = _text("decision_unbound", N_("This decision no longer binds either record."))
CANCELLED_NOT_REOPENED = _text(
    "cancelled_not_reopened", N_("A cancelled registration is not reopened.")
)
COMPLETED_BY_REGISTERED = _text(
    "completed_by_registered",
    N_("The declaration that completed this notification is registered."),
)
REGISTERED_CHANGES_BY_CORRECTION = _text(
    "registered_changes_by_correction",
    N_("A registered record changes only through a correction."),
)
CANCELLED_NEVER_CHANGES = _text(
    "cancelled_never_changes", N_("A cancelled registration never changes; it stays readable.")
)
NOT_BACK_TO_NOTIFICATION = _text(
    "not_back_to_notification", N_("A declaration cannot go back to a notification.")
)
NOT_DECLARED = _text(
    "not_declared", N_("Only a declared record can be registered; this one is {status}.")
)
NO_OFFICE = _text("no_office", N_("No registration office covers this record's area."))
NOT_REJECTABLE = _text("not_rejectable", N_("A {status} record cannot be rejected."))
NOT_REGISTERED_FOR_CORRECTION = _text(
    "not_registered_for_correction",
    N_("Only a registered record is corrected; amend a declaration instead."),
)
ALREADY_CANCELLED = _text("already_cancelled", N_("This registration is already cancelled."))
NOT_CANCELLABLE = _text(
    "not_cancellable",
    N_(
        "Only a registered record is cancelled, as a duplicate of another registered record; "
        "decide on a declaration instead."
    ),
)
NOT_AWAITING = _text(
    "not_awaiting", N_("Only a declared record awaits registration; this one is {status}.")
)
NOT_DELAYED = _text("not_delayed", N_("This registration is not delayed; it needs no approval."))
CORRECTION_DECIDED = _text("correction_decided", N_("This correction request is already {status}."))
NO_CERTIFICATE = _text("no_certificate", N_("Only a registered record has a certificate."))
ALREADY_REVOKED = _text("already_revoked", N_("This certificate is already revoked."))
NOT_PRINTABLE = _text("not_printable", N_("This certificate cannot be printed: {reason}"))
USER_EXISTS = _text("user_exists", N_("A user named {username!r} already exists."))
NO_ROOT_AREA = _text("no_root_area", N_("Load the areas first: there is no root area."))
TOO_FEW_RECORDS = _text(
    "too_few_records",
    N_("the hand-set weights stay: the register has {count} records, training needs {needed}"),
)
NO_SUCH_DUPLICATE = _text("no_such_duplicate", N_("No such suspected duplicate."))

# -- accounts (``services.users``) -----------------------------------------------------------------
USERNAME_FORMAT = _text("username_format", N_("Use 1-80 letters, digits, '.' or '_'."))
ROLE_ONE_OF = _text("role_one_of", N_("Must be one of {roles}."))
UNKNOWN_AREA_CODE = _text("unknown_area_code", N_("Unknown area code {code!r}."))
UNKNOWN_FACILITY_CODE = _text("unknown_facility_code", N_("Unknown facility code {code!r}."))
PASSWORD_TOO_SHORT = _text("password_too_short", N_("Use at least {count} characters."))
PASSWORD_TOO_EASY = _text(
    "password_too_easy",
    N_("This password is too easy to guess; choose a longer, less common one."),
)
PASSWORD_TOO_EASY_HINT = _text(  # with zxcvbn's own hint (English) after it
    "password_too_easy_hint",
    N_("This password is too easy to guess; choose a longer, less common one. {hint}"),
)
FACILITY_OUTSIDE_USER = _text(
    "facility_outside_user", N_("The facility must lie in the user's area.")
)
FACILITY_OUTSIDE_YOURS = _text("facility_outside_yours", N_("This facility is outside your area."))
CANNOT_DEACTIVATE_SELF = _text(
    "cannot_deactivate_self", N_("You cannot deactivate your own account.")
)
CANNOT_CHANGE_OWN_ROLE = _text(
    "cannot_change_own_role", N_("You cannot change your own role or area.")
)
NO_SUCH_USER = _text("no_such_user", N_("No such user in your area."))
WRONG_CURRENT_PASSWORD = _text("wrong_current_password", N_("The current password is wrong."))
SAME_PASSWORD = _text("same_password", N_("Choose a password different from the current one."))


# -- a field's value (ValidationFailed ``errors``); marshmallow's own first ------------------------
REQUIRED = _text("required", N_("Missing data for required field."))
NULL = _text("null", N_("Field may not be null."))
UNKNOWN_FIELD = _text("unknown_field", N_("Unknown field."))
NOT_AN_INTEGER = _text("not_an_integer", N_("Not a valid integer."))
NOT_A_DATE = _text("not_a_date", N_("Not a valid date."))
NOT_A_STRING = _text("not_a_string", N_("Not a valid string."))
TOO_SHORT = _text("too_short", N_("Shorter than minimum length {min}."))
TOO_LONG = _text("too_long", N_("Longer than maximum length {max}."))
LENGTH_BETWEEN = _text("length_between", N_("Length must be between {min} and {max}."))
ONE_OF = _text("one_of", N_("Must be one of: {choices}."))

BLANK = _text("blank", N_("Must not be blank."))
BIDI_CONTROLS = _text("bidi_controls", N_("Must not contain text-direction control characters."))
CONTROL_CHARACTERS = _text(
    "control_characters", N_("Must not contain control characters (like tabs or newlines).")
)
NONCHARACTERS = _text(
    "noncharacters", N_("Must not contain non-characters or unassigned characters.")
)
INVISIBLE_FORMATTING = _text(
    "invisible_formatting", N_("Must not contain invisible formatting characters.")
)
NEEDS_A_LETTER = _text("needs_a_letter", N_("A name needs at least one letter."))
IN_FUTURE = _text("in_future", N_("Must not be in the future."))
BEFORE_EARLIEST = _text("before_earliest", N_("Must not be before {year}; check the year."))
NOT_A_CODE = _text("not_a_code", N_("Not a valid code."))
FACILITY_NEEDS_CODE = _text("facility_needs_code", N_("A health facility needs its facility_code."))
GIVE_AREA_CODE = _text("give_area_code", N_("Give the area_code of the place."))
BEFORE_BIRTH = _text("before_birth", N_("Must be before the birth."))
DEATH_BEFORE_BIRTH = _text("death_before_birth", N_("The death cannot be before the birth."))
PREGNANCY_AGE = _text("pregnancy_age", N_("Only for women aged 10 to 54."))
NOT_ICD10 = _text("not_icd10", N_("Not an ICD-10 code (like J18.9)."))
AFTER_DATE_TO = _text("after_date_to", N_("Must not be after date_to."))
BEFORE_EVENT = _text("before_event", N_("Must not be before the event."))
UNKNOWN_FACILITY = _text("unknown_facility", N_("Unknown facility code."))
UNKNOWN_AREA = _text("unknown_area", N_("Unknown area code."))
NOT_A_FACILITY = _text("not_a_facility", N_("Not a health facility."))
DELAYED_NEEDS_REASON = _text("delayed_needs_reason", N_("A delayed registration needs a reason."))
NO_CHANGES = _text("no_changes", N_("The changes leave the record as it is."))
EVENT_AFTER_REGISTRATION = _text(
    "event_after_registration", N_("The event would come after its registration.")
)
YEAR_RANGE = _text("year_range", N_("Must be between 1900 and 2200."))
CHOOSE_DECISION = _text("choose_decision", N_("Choose one of the two decisions."))
CHOOSE_ANSWER = _text("choose_answer", N_("Choose one of the answers."))
CHOSEN_NOT_FOUND = _text("chosen_not_found", N_("The record chosen is not among those found."))
FONT_MISSING = _text(
    "font_missing",
    N_(
        "A font this certificate needs is not installed on the server; an administrator can see "
        "which in the server log."
    ),
)
IMAGE_UNREADABLE = _text(
    "image_unreadable", N_("The image configured in {setting} cannot be read on this server.")
)
NO_SIGNING_KEY = _text(
    "no_signing_key", N_("No certificate signing key on this server: run `crvs keys generate`.")
)


# -- what a statistics result tells its reader (``services.stats``; shown on the page, in the
# -- downloads and the report) --------------------------------------------------------------------
STATS_SCOPE = _text(
    "stats_scope",
    N_(
        "Registered events that occurred in {year}, registered on or before {cutoff} "
        "(the registration cut-off), current versions only, in {scope} by {level}."
    ),
)
STATS_SCOPE_EVERYWHERE = _text(
    "stats_scope_everywhere",
    N_(
        "Registered events that occurred in {year}, registered on or before {cutoff} "
        "(the registration cut-off), current versions only, in every area by {level}."
    ),
)
STATS_NO_DENOMINATOR = _text(
    "stats_no_denominator",
    N_(
        "No denominator for {areas} in {year}: their estimated events, completeness and rates "
        "are left empty."
    ),
)
STATS_PUBLIC = _text(
    "stats_public",
    N_(
        "Public table: counts from 1 to {top} are suppressed (zeros are shown), and {secondary} "
        "more cell(s) are suppressed so that no hidden count can be worked out from the totals; "
        "measures computed from a hidden count are hidden too."
    ),
)
STATS_DENOMINATORS = _text(
    "stats_denominators",
    N_(
        "Denominators for {year} from the denominators table (an area's own row, else the sum of "
        "its children's populations with population-weighted crude rates): {parts}."
    ),
)
STATS_DENOMINATOR_OF = _text("stats_denominator_of", N_("{area}: {source}"))
STATS_OWN_ROW = _text("stats_own_row", N_("own row"))
STATS_SUM_OF = _text("stats_sum_of", N_("sum of {areas}"))
STATS_NONE_MISSING = _text("stats_none_missing", N_("none (missing for {areas})"))
