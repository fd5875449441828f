"""Whom a post reached, as the insights read it: written once per delivery in one command,
the same however often a delivery comes again, and the union of every delivery."""

from pymongo import AsyncMongoClient
from timeline_support import TimelineApi

from shared.mongo import Document
from shared.testing import CommandCounter
from timeline.insights.repository import POST_REACH, REACH_CHUNK, InsightsRepository


async def test_a_redelivery_counts_nobody_twice_and_adds_whoever_else_it_reached(
    api: TimelineApi,
) -> None:
    insights = InsightsRepository(api.db)
    first = [f"f{n}" for n in range(REACH_CHUNK + 5)]  # two chunks
    await insights.record_reach("p", {"ann": first, "ben": ["f1", "g1"]})
    await insights.record_reach("p", {"ann": first, "ben": ["f1", "g1"]})  # the same again
    await insights.record_reach("p", {"ann": ["f0", "g2"]})  # reached g2 as well

    reach = await insights.reach_of("p")

    assert reach == {
        **{follower: {"ann"} for follower in first},
        "f1": {"ann", "ben"},
        "g1": {"ben"},
        "g2": {"ann"},
    }
    assert await api.db[POST_REACH].count_documents({"post_id": "p"}) == 4


async def test_reaching_many_followers_is_one_insert_of_whole_chunks(
    api: TimelineApi, mongo_url: str
) -> None:
    counter = CommandCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url, event_listeners=[counter])
    try:
        insights = InsightsRepository(client[api.db.name])
        await insights.record_reach("p", {"ann": [f"f{n}" for n in range(3 * REACH_CHUNK)]})
        await insights.record_reach("p", {"ann": [f"f{n}" for n in range(3 * REACH_CHUNK)]})
    finally:
        await client.close()

    assert dict(counter.commands) == {"insert post_reach": 2}  # no read, no array searched
    assert len(await InsightsRepository(api.db).reach_of("p")) == 3 * REACH_CHUNK
