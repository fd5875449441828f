"""The insights figures as pure rules (issue 12): computed from what deliveries recorded."""

from timeline.insights.rules import AuthorInsights, compute_insights


def test_audiences_overlap_once_in_reach_and_only_sole_followers_are_exclusive() -> None:
    reach = {"f1": ["ann"], "f2": ["ben"], "f3": ["ann", "ben"], "ben": ["ann"]}
    found = compute_insights(["ann", "ben"], reach, likers={"f1", "f3", "x"}, follows_from_post=[])
    # ben is credited: never reached nor audience, though ann's delivery reached him.
    assert found.reached == 3
    assert found.authors == (
        AuthorInsights(
            "ann", audience=2, exclusive_audience=1, likes_from_audience=2, new_followers=0
        ),
        AuthorInsights(
            "ben", audience=2, exclusive_audience=1, likes_from_audience=1, new_followers=0
        ),
    )


def test_an_author_who_left_counts_no_more_and_its_followers_become_exclusive_to_others() -> None:
    reach = {"f1": ["ann"], "f3": ["ann", "ben"]}
    found = compute_insights(["ann"], reach, likers=set(), follows_from_post=[])
    assert found.reached == 2
    assert [a.exclusive_audience for a in found.authors] == [2]


def test_follows_made_from_the_post_count_per_followee_once_each() -> None:
    follows = [("n1", "ben"), ("n2", "ben"), ("n1", "ann"), ("ann", "ben"), ("n3", "gone")]
    found = compute_insights(["ann", "ben"], {}, likers=set(), follows_from_post=follows)
    # A credited author following another through the post is no new audience.
    assert [(a.author_id, a.new_followers) for a in found.authors] == [("ann", 1), ("ben", 2)]
    assert found.reached == 0
