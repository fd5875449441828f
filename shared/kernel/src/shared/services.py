"""The CoPost services, declared here once: every other list of them is derived from this.

Python reads these names; the deployment files that cannot compute (compose, the Kubernetes
manifests, mongo-init.js, prometheus.yml) are rendered from them by deploy/render.py, and
deploy/tests/test_service_list.py checks that the workspace (services/<name>/) agrees.
"""

from enum import StrEnum

GATEWAY = "gateway"


class Backend(StrEnum):
    """The services behind the gateway, in the order they start and are listed: users first (the
    gateway waits for its JWKS, the others ask it for eligibility). Each has its own database
    and broker user; the gateway has neither."""

    USERS = "users"
    POSTS = "posts"
    INVITATIONS = "invitations"
    TIMELINE = "timeline"
    NOTIFICATIONS = "notifications"
    MEDIA = "media"
    FEDERATION = "federation"


BACKENDS = tuple(Backend)
SERVICES = (GATEWAY, *BACKENDS)


def main() -> None:
    """`python -m shared.services`: the names, one a line, for shell scripts."""
    print(*SERVICES, sep="\n")


if __name__ == "__main__":
    main()
