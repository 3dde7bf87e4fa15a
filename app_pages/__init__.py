"""Dashboard pages: one short function per page; data access in app_pages.state."""
