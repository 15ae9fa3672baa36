"""Messages that come from the services and schemas in English, listed here for translation.

Services and marshmallow speak English; the pages look their messages up in this table so that
``pybabel extract`` finds them and a French page shows French messages. A message not listed
(one with figures in it, say) is shown as it comes.
"""

from __future__ import annotations

from registry.web.i18n import gettext


def N_(message: str) -> str:  # the marker name pybabel knows
    """Marks a message for extraction without translating it here."""
    return message


KNOWN = frozenset(
    (
        N_("Must not be blank."),
        N_("Must not contain text-direction control characters."),
        N_("Must not contain control characters (like tabs or newlines)."),
        N_("Must not contain non-characters or unassigned characters."),
        N_("Must not contain invisible formatting characters."),
        N_("A name needs at least one letter."),
        N_("This record was changed meanwhile; reload it and try again."),
        N_(
            "A correction is approved by a second registrar; you requested this one, so another "
            "registrar of the area must approve it."
        ),
        N_("This registration is not delayed; it needs no approval."),
        N_("Missing data for required field."),
        N_("Field may not be null."),
        N_("Not a valid integer."),
        N_("Not a valid date."),
        N_("Not a valid string."),
        N_("Unknown field."),
        N_("Shorter than minimum length 1."),
        N_("Longer than maximum length 200."),
        N_("Must not be in the future."),
        N_("Not a valid code."),
        N_("A health facility needs its facility_code."),
        N_("Give the area_code of the place."),
        N_("Must be before the birth."),
        N_("The death cannot be before the birth."),
        N_("Only for women aged 10 to 54."),
        N_("Not an ICD-10 code (like J18.9)."),
        N_("Unknown facility code."),
        N_("Unknown area code."),
        N_("Not a health facility."),
        N_("Must not be before the event."),
        N_("A delayed registration needs a reason."),
        N_("The changes leave the record as it is."),
        N_("The event would come after its registration."),
        N_("Must not be after date_to."),
        N_("This is outside your area."),
        N_("This area is outside yours."),
        N_("Only clerks and registrars read records."),
        N_("Only clerks and registrars search records."),
        N_("Only clerk, registrar may do this."),
        N_("Only registrar may do this."),
        N_("A registered record changes only through a correction."),
        N_("A declaration cannot go back to a notification."),
        N_("Only a registered record is corrected; amend a declaration instead."),
        N_("Too many failed sign-ins; wait a few minutes and try again."),
        N_("Your role or area does not allow this."),
        N_("No such resource."),
        N_("The CSRF token is missing."),
        N_("The CSRF session token is missing."),
        N_("The CSRF token is invalid."),
        N_("The CSRF tokens do not match."),
        N_("The request conflicts with data already stored."),
        N_("A suspected duplicate of this record awaits a registrar's decision."),
        N_("A registered record is never rejected; correct it instead."),
        N_("No such suspected duplicate."),
        N_("Choose one of the two decisions."),
        N_("Choose one of the answers."),
        N_("The record chosen is not among those found."),
        N_("Longer than maximum length 2000."),
        N_("Longer than maximum length 60."),
        N_("Longer than maximum length 100."),
        N_("Only a registered record has a certificate."),
        N_("This certificate is already revoked."),
        N_("Certificates cannot be printed on this server right now."),
        N_("No certificate signing key on this server: run `crvs keys generate`."),
        N_("Not in this registry's ledger."),
        N_("Must be between 1900 and 2200."),
        N_("Must be one of: month, quarter, year."),
        N_("Only statistician, admin may do this."),
    )
)


def translate(message: str) -> str:
    """The message in the page's language when the catalogue knows it, else as it is."""
    if message in KNOWN:
        return gettext(message)
    return message


def translate_all(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [translate(m) for m in messages] for name, messages in errors.items()}
