"""What every timeline capability shares: post cards and a post's position in a timeline."""
