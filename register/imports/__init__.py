"""Large CSV imports as jobs: stored with their file, run by the notification worker."""
