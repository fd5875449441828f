"""Uploading over HTTP: POST /v1/media, a multipart form with one `file` and an `alt_text`."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from starlette.datastructures import UploadFile

from media.components import Components
from media.uploading.commands import Upload
from shared.identity import CurrentUserId
from shared.openapi import problems
from shared.problems import BadRequest, PayloadTooLarge, Unprocessable
from shared.public_media import MAX_ALT_TEXT, MediaOut

router = APIRouter(prefix="/v1/media", tags=["media"])


async def admitted(components: Components) -> AsyncIterator[None]:
    """Beyond the processing slots an upload is refused at once (503 with Retry-After),
    before its body is read: the bodies in memory are never more than the slots."""
    async with components.uploads.admissions.taken():
        yield


async def bounded_body(request: Request, components: Components) -> None:
    """Reads the body before anything else does, refusing it (413) as soon as it is known to
    be too large: from its declared length, or once more than the limit has arrived.

    The caller's assertion covers the body's digest, so the body is read whole; the limit is
    what bounds the memory it takes.
    """
    limit = components.body_limit_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"An upload may weigh at most {limit} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"An upload may weigh at most {limit} bytes.")
    # Starlette keeps a body read once for whoever asks again (the assertion, the form).
    request._body = bytes(body)


async def upload_form(request: Request) -> Upload:
    form = await request.form(max_files=1, max_fields=1)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise BadRequest("The form needs one file, in the field `file`.")
    alt_text = form.get("alt_text")
    if alt_text is not None and not isinstance(alt_text, str):
        raise BadRequest("`alt_text` is text, not a file.")
    if alt_text is not None and len(alt_text) > MAX_ALT_TEXT:
        raise Unprocessable(f"`alt_text` has at most {MAX_ALT_TEXT} characters.")
    return Upload(
        data=await file.read(),
        content_type=file.content_type,
        filename=file.filename,
        alt_text=alt_text,
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    name="upload",
    dependencies=[Depends(admitted), Depends(bounded_body)],
    responses=problems(400, 413, 415, 422, 429, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "examples": [{"file": "(the picture's bytes)", "alt_text": "A flag."}],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "alt_text": {"type": "string", "maxLength": MAX_ALT_TEXT},
                        },
                    }
                }
            },
        }
    },
)
async def upload_media(
    user_id: CurrentUserId,
    components: Components,
    upload: Annotated[Upload, Depends(upload_form)],
) -> MediaOut:
    return await components.uploads.upload(user_id, upload)
