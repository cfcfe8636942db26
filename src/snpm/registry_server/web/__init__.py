"""Server-rendered pages of the registry (the web-login page today)."""
