"""The public User as the users service answers it (the same object every service renders)."""

from shared.public_user import PublicUser

User = PublicUser
