"""Writing and reading posts over HTTP: create, get and delete /v1/posts/{id}."""

from fastapi import APIRouter, Response, status

from posts.authoring.schemas import CreatePostRequest
from posts.components import Components
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.public_post import PostOut

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "", status_code=status.HTTP_201_CREATED, name="create", responses=problems(403, 404, 409)
)
async def create_post(
    body: CreatePostRequest, user_id: CurrentUserId, components: Components
) -> PostOut:
    return await components.authoring.create(user_id, body)


@router.get("/{post_id}", name="get", responses=problems(404))
async def get_post(post_id: str, user_id: CurrentUserId, components: Components) -> PostOut:
    return await components.queries.get(post_id, user_id)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    name="delete",
    responses=problems(403, 404, 409),
)
async def delete_post(post_id: str, user_id: CurrentUserId, components: Components) -> Response:
    await components.authoring.delete(post_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
