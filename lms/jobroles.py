"""The job roles of healthcare staff, with Danish and English names."""

JOB_ROLES: dict[str, dict[str, str]] = {
    "nurse": {"da": "Sygeplejerske", "en": "Nurse"},
    "care_assistant": {
        "da": "Social- og sundhedsassistent",
        "en": "Social and health care assistant",
    },
    "care_helper": {
        "da": "Social- og sundhedshjælper",
        "en": "Social and health care helper",
    },
    "physiotherapist": {"da": "Fysioterapeut", "en": "Physiotherapist"},
    "occupational_therapist": {"da": "Ergoterapeut", "en": "Occupational therapist"},
    "other": {"da": "Anden faggruppe", "en": "Other profession"},
}


def job_role_name(key: str | None, locale: str) -> str:
    """Return the display name of a job role."""
    if key is None or key not in JOB_ROLES:
        return ""
    return JOB_ROLES[key]["en" if locale == "en" else "da"]
