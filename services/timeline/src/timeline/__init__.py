"""CoPost timeline service: home timelines by hybrid fan-out, and profile timelines."""
