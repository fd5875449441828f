"""The floor of the read benchmark: a bare FastAPI app returning stored bytes.

Served by the same uvicorn as the services (`uvicorn floor_app:app --app-dir bench`), it
answers GET /page with the file FLOOR_BODY_FILE names: the bytes of a real page (or of a
picture: FLOOR_CONTENT_TYPE, JSON unless told).
"""

import os
from pathlib import Path

from fastapi import FastAPI, Response

BODY = Path(os.environ["FLOOR_BODY_FILE"]).read_bytes()
CONTENT_TYPE = os.environ.get("FLOOR_CONTENT_TYPE", "application/json")

app = FastAPI()


@app.get("/page")
async def page() -> Response:
    return Response(BODY, media_type=CONTENT_TYPE)
