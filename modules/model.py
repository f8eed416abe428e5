"""Frozen dataclasses describing the competence framework and module packages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from assessments import Quiz

if TYPE_CHECKING:
    from .programmes import Programme

Text: TypeAlias = Mapping[str, str]
LANGUAGES = ("da", "en")
LANGUAGE_NAMES = {"da": "Danish", "en": "English"}


@dataclass(frozen=True)
class Level:
    """A competence level, such as 2 "Can apply"."""

    value: int
    name: Text
    description: Text


@dataclass(frozen=True)
class Competence:
    """A competence in an area of the framework."""

    id: str
    name: Text
    area_id: str


@dataclass(frozen=True)
class Area:
    """An area of the framework and its competences."""

    id: str
    name: Text
    competences: tuple[Competence, ...]


@dataclass(frozen=True)
class Framework:
    """The competence framework: levels and areas of competences."""

    levels: tuple[Level, ...]
    areas: tuple[Area, ...]

    def competence(self, competence_id: str) -> Competence | None:
        """Return the competence with this id, or None."""
        for area in self.areas:
            for competence in area.competences:
                if competence.id == competence_id:
                    return competence
        return None

    def level(self, value: int) -> Level | None:
        """Return the level with this value, or None."""
        return next((level for level in self.levels if level.value == value), None)


@dataclass(frozen=True)
class CompetenceLevel:
    """A competence that a module attests, at a level."""

    id: str
    level: int


@dataclass(frozen=True)
class Video:
    """A lesson video with captions files or a transcript in each language."""

    src: str
    captions: Text | None
    transcript: Text | None


@dataclass(frozen=True)
class Lesson:
    """The Markdown of a lesson in each language, and an optional video."""

    markdown: Text
    video: Video | None


@dataclass(frozen=True)
class CaseOption:
    """One choice in a case step, with the feedback shown when it is chosen."""

    id: str
    text: Text
    feedback: Text
    best: bool


@dataclass(frozen=True)
class CaseStep:
    """A decision in a case: a prompt and the options to choose from."""

    id: str
    prompt: Text
    options: tuple[CaseOption, ...]


@dataclass(frozen=True)
class Case:
    """A scenario from practice, answered step by step."""

    scenario: Text
    steps: tuple[CaseStep, ...]
    closing: Text | None


@dataclass(frozen=True)
class Criterion:
    """A rubric criterion for reviewing a practice task, scored 0..max_score."""

    id: str
    title: Text
    description: Text
    max_score: int


@dataclass(frozen=True)
class PracticeTask:
    """A task done at the workplace, handed in as a reflection and reviewed."""

    instructions: Text
    reflection_prompts: Mapping[str, tuple[str, ...]]
    min_words: int
    rubric: tuple[Criterion, ...]


@dataclass(frozen=True)
class Activity:
    """One activity of a module and how it counts as done."""

    id: str
    kind: str
    title: Text
    required: bool
    done_when: str
    minutes: int | None
    content: Lesson | Case | PracticeTask | Quiz | None


@dataclass(frozen=True)
class Module:
    """A version of a module package, loaded and checked."""

    slug: str
    version: str
    title: Text
    summary: Text
    objectives: Mapping[str, tuple[str, ...]]
    estimated_minutes: int
    certificate_valid_months: int | None
    competences: tuple[CompetenceLevel, ...]
    activities: tuple[Activity, ...]
    content_hash: str
    #: Activity ids whose renewed completion recertifies; empty means every
    #: required activity (module.toml [recertification]).
    recertification: tuple[str, ...] = ()

    def activity(self, activity_id: str) -> Activity | None:
        """Return the activity with this id, or None."""
        return next((a for a in self.activities if a.id == activity_id), None)

    @property
    def required_activities(self) -> tuple[Activity, ...]:
        """Return the activities that must be done to complete the module."""
        return tuple(activity for activity in self.activities if activity.required)

    @property
    def recertification_activities(self) -> tuple[Activity, ...]:
        """Return the activities that renew a certificate when done again."""
        if not self.recertification:
            return self.required_activities
        return tuple(a for a in self.activities if a.id in self.recertification)


@dataclass(frozen=True)
class Catalog:
    """The framework, every module and every programme found in a modules folder."""

    framework: Framework
    modules: Mapping[str, Module]
    programmes: Mapping[str, Programme] = field(default_factory=dict)
