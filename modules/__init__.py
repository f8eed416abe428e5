"""Module packages: load, check and describe course content kept as data."""

from .catalog import check_path, load_catalog, read_package, shipped_root
from .errors import PackageError, PackageInvalid
from .framework import load_framework
from .kinds import ACTIVITY_KINDS, ActivityKind
from .model import (
    LANGUAGES,
    Activity,
    Area,
    Case,
    CaseOption,
    CaseStep,
    Catalog,
    Competence,
    CompetenceLevel,
    Criterion,
    Framework,
    Lesson,
    Level,
    Module,
    PracticeTask,
    Text,
    Video,
)
from .package import check_package, content_hash, parse_package
from .programmes import (
    Programme,
    ProgrammeActivity,
    check_programmes,
    load_programmes,
)

__all__ = [
    "ACTIVITY_KINDS",
    "LANGUAGES",
    "Activity",
    "ActivityKind",
    "Area",
    "Case",
    "CaseOption",
    "CaseStep",
    "Catalog",
    "Competence",
    "CompetenceLevel",
    "Criterion",
    "Framework",
    "Lesson",
    "Level",
    "Module",
    "PackageError",
    "PackageInvalid",
    "PracticeTask",
    "Programme",
    "ProgrammeActivity",
    "Text",
    "Video",
    "check_package",
    "check_path",
    "check_programmes",
    "content_hash",
    "load_catalog",
    "load_framework",
    "load_programmes",
    "parse_package",
    "read_package",
    "shipped_root",
]
