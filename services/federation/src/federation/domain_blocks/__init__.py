"""Domain blocks: the remote domains this instance does not federate with, the deployment's and
the operator's, in effect on every replica without a restart."""
