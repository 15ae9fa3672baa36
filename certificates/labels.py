"""Label tables: every fixed word printed on a certificate, per language.

Add a language by adding a table with the same keys; :func:`label_table` refuses a table with
keys missing so that a certificate never prints a blank label.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import InvalidCertificateData

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title_birth": "Birth Certificate",
        "title_death": "Death Certificate",
        "registration_number": "Registration number",
        "registration_date": "Date of registration",
        "serial": "Certificate serial",
        "child_name": "Name of child",
        "sex": "Sex",
        "date_of_birth": "Date of birth",
        "place_of_birth": "Place of birth",
        "mother_name": "Mother",
        "father_name": "Father",
        "deceased_name": "Name of deceased",
        "date_of_death": "Date of death",
        "place_of_death": "Place of death",
        "age": "Age (years)",
        "cause_of_death": "Underlying cause of death",
        "cause_sequence": "Sequence of causes (Part 1)",
        "office": "Issuing office",
        "issue_date": "Date of issue",
        "registrar": "Registrar",
        "signature": "Signature",
        "seal": "Official seal",
        "certified_copy": "CERTIFIED COPY",
        "copy_number": "Copy no.",
        "original": "Original",
        "sex_female": "Female",
        "sex_male": "Male",
        "sex_unknown": "Not stated",
        "not_recorded": "—",
        "verify": "Scan to verify",
    },
    "fr": {
        "title_birth": "Acte de naissance",
        "title_death": "Acte de décès",
        "registration_number": "Numéro d'enregistrement",
        "registration_date": "Date d'enregistrement",
        "serial": "Numéro de série",
        "child_name": "Nom de l'enfant",
        "sex": "Sexe",
        "date_of_birth": "Date de naissance",
        "place_of_birth": "Lieu de naissance",
        "mother_name": "Mère",
        "father_name": "Père",
        "deceased_name": "Nom du défunt",
        "date_of_death": "Date du décès",
        "place_of_death": "Lieu du décès",
        "age": "Âge (années)",
        "cause_of_death": "Cause initiale du décès",
        "cause_sequence": "Enchaînement des causes (partie 1)",
        "office": "Bureau de délivrance",
        "issue_date": "Date de délivrance",
        "registrar": "Officier de l'état civil",
        "signature": "Signature",
        "seal": "Sceau officiel",
        "certified_copy": "COPIE CERTIFIÉE CONFORME",
        "copy_number": "Copie n°",
        "original": "Original",
        "sex_female": "Féminin",
        "sex_male": "Masculin",
        "sex_unknown": "Non précisé",
        "not_recorded": "—",
        "verify": "Scanner pour vérifier",
    },
    "ar": {
        "title_birth": "شهادة ميلاد",
        "title_death": "شهادة وفاة",
        "registration_number": "رقم التسجيل",
        "registration_date": "تاريخ التسجيل",
        "serial": "الرقم التسلسلي للشهادة",
        "child_name": "اسم المولود",
        "sex": "الجنس",
        "date_of_birth": "تاريخ الميلاد",
        "place_of_birth": "مكان الميلاد",
        "mother_name": "الأم",
        "father_name": "الأب",
        "deceased_name": "اسم المتوفى",
        "date_of_death": "تاريخ الوفاة",
        "place_of_death": "مكان الوفاة",
        "age": "العمر (بالسنوات)",
        "cause_of_death": "السبب الأساسي للوفاة",
        "cause_sequence": "تسلسل أسباب الوفاة (الجزء الأول)",
        "office": "مكتب الإصدار",
        "issue_date": "تاريخ الإصدار",
        "registrar": "أمين السجل المدني",
        "signature": "التوقيع",
        "seal": "الختم الرسمي",
        "certified_copy": "نسخة مصدقة",
        "copy_number": "رقم النسخة",
        "original": "أصل",
        "sex_female": "أنثى",
        "sex_male": "ذكر",
        "sex_unknown": "غير محدد",
        "not_recorded": "—",
        "verify": "امسح للتحقق",
    },
}


def label_table(language: str) -> Mapping[str, str]:
    """Return the labels of a language.

    Raises:
        InvalidCertificateData: If the language has no table or its table lacks a key.
    """
    table = LABELS.get(language)
    if table is None:
        raise InvalidCertificateData(
            f"no labels for language {language!r} (have {', '.join(sorted(LABELS))})"
        )
    missing = LABELS["en"].keys() - table.keys()
    if missing:
        raise InvalidCertificateData(f"labels for {language!r} lack {', '.join(sorted(missing))}")
    return table
