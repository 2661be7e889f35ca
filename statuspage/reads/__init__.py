"""Every query the site's readers make (public pages, feeds, JSON, admin) and what they show."""
