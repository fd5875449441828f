"""Limited-test availability (users.availability): windows, allow-lists, countries, percentages."""

from datetime import UTC, datetime, timedelta

import pytest

from users.availability.rules import AccountFacts, FeatureAvailability, bucket, is_available

START = datetime(2026, 6, 1, tzinfo=UTC)
END = START + timedelta(days=30)
WINDOW = FeatureAvailability(starts_at=START, ends_at=END)
ANN = AccountFacts("u-ann", "FR")


def test_by_default_everyone_may_use_every_feature_always() -> None:
    for feature in ("coauthoring", "remix"):
        assert is_available(feature, FeatureAvailability(), ANN, START)
        assert is_available(feature, FeatureAvailability(), AccountFacts("x", None), START)


@pytest.mark.parametrize(
    ("now", "available"),
    [
        (START - timedelta(seconds=1), False),
        (START, True),
        (END - timedelta(seconds=1), True),
        (END, False),  # the test ended
        (END + timedelta(days=365), False),
    ],
)
def test_a_window_opens_at_its_start_and_closes_at_its_end(now: datetime, available: bool) -> None:
    assert is_available("remix", WINDOW, ANN, now) is available


def test_the_allow_list_admits_whatever_the_country_and_percentage_but_not_outside_the_window() -> (
    None
):
    allow = FeatureAvailability(
        percentage=0, countries=frozenset({"US"}), allow_ids=frozenset({"u-ann"}), ends_at=END
    )
    assert is_available("remix", allow, ANN, START)
    assert not is_available("remix", allow, AccountFacts("u-bob", "US"), START)
    assert not is_available("remix", allow, ANN, END)


def test_countries_admit_only_requests_a_trusted_proxy_places_there() -> None:
    us_only = FeatureAvailability(countries=frozenset({"us"}))
    assert us_only.countries == {"US"}
    assert is_available("coauthoring", us_only, AccountFacts("a", "US"), START)
    assert not is_available("coauthoring", us_only, AccountFacts("b", "FR"), START)
    assert not is_available("coauthoring", us_only, AccountFacts("c", None), START)


def test_a_percentage_admits_about_that_share_stably_and_independently_per_feature() -> None:
    ten = FeatureAvailability(percentage=10)
    accounts = [AccountFacts(f"user-{n}", None) for n in range(4000)]
    admitted = [a for a in accounts if is_available("remix", ten, a, START)]
    assert 300 < len(admitted) < 500
    assert admitted == [a for a in accounts if is_available("remix", ten, a, END)]
    other = {a.user_id for a in accounts if is_available("coauthoring", ten, a, START)}
    assert other != {a.user_id for a in admitted}
    twenty = FeatureAvailability(percentage=20)
    assert all(is_available("remix", twenty, a, START) for a in admitted)
    assert bucket("remix", "user-1") == bucket("remix", "user-1")


def test_settings_refuse_what_is_not_a_country_or_a_time_without_zone() -> None:
    with pytest.raises(ValueError, match="ISO 3166"):
        FeatureAvailability(countries=frozenset({"XX"}))
    with pytest.raises(ValueError, match="timezone"):
        FeatureAvailability.model_validate({"starts_at": "2026-06-01T00:00:00"})
