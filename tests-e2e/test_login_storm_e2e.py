"""Issue 9's login storm: many concurrent wrong sign-ins must not exhaust the users service.

It came from many addresses at once (a botnet slips past any per-address limit), so the
storm goes straight to the users service as the gateway would forward it. The memory is
the real process's, read from /proc; the limit is the users Deployment's.
"""

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml
from conftest import E2E_PASSWORD, NewUser
from stack import REPO_ROOT, LocalStack

from shared.identity import AssertionSigner, decode_private_key

STORM = 200


def as_gateway_would_send(signer: AssertionSigner, handle: str, password: str) -> dict[str, Any]:
    """A sign-in as the gateway forwards it: the body, and an assertion bound to it."""
    body = json.dumps({"handle": handle, "password": password}).encode()
    headers = signer.headers("users", method="POST", target="/v1/auth/token", body=body)
    return {"content": body, "headers": {**headers, "content-type": "application/json"}}


def memory_limit_mib(values: Path) -> int:
    """The memory limit of a Deployment, in MiB, from its values.yaml (e.g. `384Mi`)."""
    limit = yaml.safe_load(values.read_text())["data"]["memory-limit"]
    found = re.fullmatch(r"(\d+)Mi", limit)
    assert found, f"no memory limit in MiB in {values}: {limit}"
    return int(found.group(1))


def peak_rss_mib(pid: int) -> float:
    """The process's resident-memory high-water mark (VmHWM) since it started."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmHWM:\s*(\d+) kB", status, re.MULTILINE)
    assert found
    return int(found.group(1)) / 1024


async def test_200_concurrent_wrong_sign_ins_stay_under_the_memory_limit_and_a_real_one_passes(
    local_processes: LocalStack, new_user: NewUser
) -> None:
    local = local_processes
    users = next(process for process in local.processes if process.name == "users")
    gateway_key = decode_private_key(local.service_keys["private"]["gateway"])
    as_gateway = AssertionSigner("gateway", gateway_key)
    ada = await new_user("ada")
    limit = memory_limit_mib(REPO_ROOT / "deploy" / "k8s" / "base" / "users" / "values.yaml")

    async with httpx.AsyncClient(
        base_url=local.service_url("users"),
        timeout=60.0,
        limits=httpx.Limits(max_connections=STORM + 10),
    ) as direct:

        async def sign_in(
            handle: str, password: str, client: httpx.AsyncClient = direct
        ) -> httpx.Response:
            return await client.post(
                "/v1/auth/token", **as_gateway_would_send(as_gateway, handle, password)
            )

        async def legitimate() -> httpx.Response:
            """A real client: on 503 it waits what Retry-After says and tries again. Each try
            on a new connection: after the wait, an idle pooled one may be the one the server
            is closing, and a POST sent on it fails with no answer."""
            for _ in range(60):
                async with httpx.AsyncClient(base_url=direct.base_url, timeout=60.0) as fresh:
                    answer = await sign_in(ada.handle, E2E_PASSWORD, fresh)
                if answer.status_code != 503:
                    return answer
                await asyncio.sleep(float(answer.headers["retry-after"]))
            return answer

        # Unknown handles, each a different one: every guess costs a full hash.
        storm = [sign_in(f"nobody_{n}", "not the password") for n in range(STORM)]
        *answers, signed_in = await asyncio.gather(*storm, legitimate())

    peak = peak_rss_mib(users.popen.pid)
    statuses = {answer.status_code for answer in answers}
    print(f"users peak RSS {peak:.0f} MiB (limit {limit} MiB); storm answers {sorted(statuses)}")
    assert peak < limit
    assert statuses <= {401, 503}
    assert 503 in statuses  # refused at once rather than queued
    assert signed_in.status_code == 200, signed_in.text


async def test_a_distributed_storm_does_not_stop_a_known_device_signing_in(
    local_processes: LocalStack, new_user: NewUser
) -> None:
    """Issue 23: 200 concurrent sign-ins from 20 addresses took every hashing slot, so every
    other sign-in got 503. Now no address holds more than half the slots, a freed slot goes
    round-robin between addresses, and a device that signed in before goes first."""
    local = local_processes
    as_gateway = AssertionSigner(
        "gateway", decode_private_key(local.service_keys["private"]["gateway"])
    )
    ada = await new_user("ada")

    async with httpx.AsyncClient(
        base_url=local.service_url("users"),
        timeout=60.0,
        limits=httpx.Limits(max_connections=STORM + 10),
    ) as direct:

        async def sign_in(
            handle: str, password: str, address: str, device: str | None = None
        ) -> httpx.Response:
            sent = as_gateway_would_send(as_gateway, handle, password)
            sent["headers"]["X-Forwarded-For"] = address
            if device:
                sent["headers"]["cookie"] = f"copost_device={device}"
            answer = await direct.post("/v1/auth/token", **sent)
            direct.cookies.clear()
            return answer

        first = await sign_in(ada.handle, E2E_PASSWORD, "198.51.100.7")
        device = first.cookies["copost_device"]
        storm = [
            sign_in(f"nobody_{n}", "not the password", f"203.0.113.{n % 20}") for n in range(STORM)
        ]
        storming = asyncio.gather(*storm)
        await asyncio.sleep(0.05)  # the storm has taken every slot
        signed_in = await sign_in(ada.handle, E2E_PASSWORD, "198.51.100.7", device)
        answers = await storming

    assert signed_in.status_code == 200, signed_in.text
    assert {answer.status_code for answer in answers} <= {401, 503}
