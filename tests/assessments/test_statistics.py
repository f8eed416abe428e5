"""Item statistics checked against numbers worked out by hand."""

import math

import pytest

from assessments import ItemStatistics, item_statistics

# Five attempts at three questions: q1 (1 point), q2 (2 points), q3 (1 point).
# Attempt 5 did not include q3 and left q2 unanswered.
ATTEMPTS = [
    {"q1": (1, 1, "a"), "q2": (2, 2, "a[,]b"), "q3": (1, 1, "true")},  # total 4
    {"q1": (1, 1, "a"), "q2": (0, 2, "a"), "q3": (0, 1, "false")},  # total 1
    {"q1": (0, 1, "b"), "q2": (2, 2, "a[,]b"), "q3": (1, 1, "true")},  # total 3
    {"q1": (0, 1, "c"), "q2": (0, 2, "c"), "q3": (1, 1, "true")},  # total 1
    {"q1": (1, 1, "a"), "q2": (0, 2, None)},  # total 1
]


def test_item_statistics_by_hand() -> None:
    """Match difficulty, point-biserial discrimination and counts done by hand.

    q1: shares 1,1,0,0,1 -> difficulty 3/5 = 0.6.
        x (full marks) = 1,1,0,0,1; y (total minus q1) = 3,0,3,1,0.
        mean x 0.6, mean y 1.4; dx = .4,.4,-.6,-.6,.4; dy = 1.6,-1.4,1.6,-.4,-1.4.
        sum dx*dy = .64-.56-.96+.24-.56 = -1.2; sum dx^2 = 1.2; sum dy^2 = 9.2.
        r = -1.2 / sqrt(1.2 * 9.2) = -1.2 / sqrt(11.04) = -0.36116.
    q2: shares 1,0,1,0,0 -> 0.4.
        x = 1,0,1,0,0; y = 2,1,1,1,1; mean x 0.4, mean y 1.2.
        dx = .6,-.4,.6,-.4,-.4; dy = .8,-.2,-.2,-.2,-.2.
        sum dx*dy = .48+.08-.12+.08+.08 = 0.6; sum dx^2 = 1.2; sum dy^2 = 0.8.
        r = 0.6 / sqrt(0.96) = 0.61237.
    q3: four attempts; shares 1,0,1,1 -> 0.75.
        x = 1,0,1,1; y = 3,1,2,0; mean x 0.75, mean y 1.5.
        dx = .25,-.75,.25,.25; dy = 1.5,-.5,.5,-1.5.
        sum dx*dy = .375+.375+.125-.375 = 0.5; sum dx^2 = 0.75; sum dy^2 = 5.
        r = 0.5 / sqrt(3.75) = 0.25820.
    """
    statistics = item_statistics(ATTEMPTS)
    assert list(statistics) == ["q1", "q2", "q3"]
    expected = {
        "q1": (5, 0.6, -1.2 / math.sqrt(11.04), {"a": 3, "b": 1, "c": 1}),
        "q2": (5, 0.4, 0.6 / math.sqrt(0.96), {"a": 3, "b": 2, "c": 1}),
        "q3": (4, 0.75, 0.5 / math.sqrt(3.75), {"true": 3, "false": 1}),
    }
    for question_id, (n, difficulty, discrimination, counts) in expected.items():
        item = statistics[question_id]
        assert isinstance(item, ItemStatistics)
        assert (item.question_id, item.n) == (question_id, n)
        assert item.difficulty == pytest.approx(difficulty)
        assert item.discrimination == pytest.approx(discrimination)
        assert dict(item.option_counts) == counts
    assert statistics["q1"].discrimination == pytest.approx(-0.36116, abs=1e-5)
    assert statistics["q2"].discrimination == pytest.approx(0.61237, abs=1e-5)
    assert statistics["q3"].discrimination == pytest.approx(0.25820, abs=1e-5)


def test_partial_credit_counts_in_difficulty_but_not_as_correct() -> None:
    """Use score/max for difficulty, and only full marks for discrimination.

    Shares 0.5, 1, 0 -> difficulty 0.5. x = 0,1,0; y (other item) = 1,1,0:
    mean x 1/3, mean y 2/3; dx = -1/3,2/3,-1/3; dy = 1/3,1/3,-2/3;
    sum dx*dy = (-1/9)+(2/9)+(2/9) = 1/3; sum dx^2 = 6/9; sum dy^2 = 6/9;
    r = (1/3) / (6/9) = 0.5.
    """
    attempts = [
        {"m": (1, 2, "a[.]a"), "s": (1, 1, "x")},
        {"m": (2, 2, "a[.]a[,]b[.]b"), "s": (1, 1, "x")},
        {"m": (0, 2, ""), "s": (0, 1, "y")},
    ]
    item = item_statistics(attempts)["m"]
    assert item.difficulty == pytest.approx(0.5)
    assert item.discrimination == pytest.approx(0.5)
    assert dict(item.option_counts) == {"a[.]a": 2, "b[.]b": 1}


@pytest.mark.parametrize(
    "attempts",
    [
        [{"q1": (1, 1, "a"), "q2": (1, 1, "a")}],
        [
            {"q1": (1, 1, "a"), "q2": (0, 1, "b")},
            {"q1": (1, 1, "a"), "q2": (1, 1, "a")},
        ],
        [
            {"q1": (0, 1, "b"), "q2": (0, 1, "b")},
            {"q1": (1, 1, "a"), "q2": (0, 1, "b")},
        ],
    ],
)
def test_discrimination_is_undefined(attempts: list[dict]) -> None:
    """Give None for one attempt, or when an item or the rest score never varies."""
    assert item_statistics(attempts)["q1"].discrimination is None


def test_no_attempts() -> None:
    """Return nothing for no attempts."""
    assert item_statistics([]) == {}
