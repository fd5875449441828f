"""Which file of a medium a person's data export carries, pure."""

from shared.mongo import Document


def exported_variant(document: Document, owner_id: str) -> Document | None:
    """The processed video, or a picture's largest variant; None when the medium is not
    `owner_id`'s (not to be told apart from one that does not exist) or has no file yet."""
    if document["owner_id"] != owner_id or document.get("status") != "ready":
        return None
    variants: dict[str, Document] = document.get("variants", {})
    if document["kind"] == "video":
        return variants.get("video")
    return max(
        variants.values(),
        key=lambda variant: (variant["width"] * variant["height"], variant["bytes"]),
        default=None,
    )
