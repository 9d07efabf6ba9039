"""One router per resource; app.py lists them once (ROUTERS)."""
