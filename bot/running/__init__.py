"""Running the process: start-up and shutdown (`process`), the runtime every listener and
service gets (`runtime`), the background workers (`workers`) and the health report (`health`)."""
