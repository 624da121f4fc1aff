"""History-archive Lambda: the governance table's stream of history items into the Object Lock archive bucket."""
