"""The training stage: run a user's training step under hooks and judge it."""
