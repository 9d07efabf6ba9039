"""The HTTP API (the operate layer's face for other systems): `create_app(settings)` in app.py.

app.py        builds the FastAPI application from settings (never at import)
deps.py       the named dependencies every route uses (settings, app db, principal, ...)
routes/       one router per resource, listed once in app.py
problems.py   every error as RFC 9457 problem details
scopes.py     the scopes, and the one table of route -> scope
keys.py       API keys: generation, HMAC-SHA256 hashing with a pepper, storage
auth.py       Bearer keys -> a principal; usage counted in memory, flushed in batches
throttle.py   rate limits per key and scope (the `limits` library)
idempotency.py  Stripe's Idempotency-Key semantics for POSTs
hooks.py      Standard Webhooks signature verification for inbound hooks
"""
