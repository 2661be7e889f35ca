"""Every query the public side makes, and the views built from them for pages, feeds and JSON."""
