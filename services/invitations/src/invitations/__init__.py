"""The invitations service: co-author invitations, their answers, expiry and cancellation."""
