"""Sessions: refresh tokens that renew access tokens, rotated on each use, ended on sign-out."""
