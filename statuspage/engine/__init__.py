"""From results, staff writes and the clock to stored status: recording, evaluation, rollups."""
