"""The dashboard: server-rendered Jinja2 pages with htmx, served at `/` by the API's
application and sharing its dependencies (settings, app database, scopes). See
docs/dashboard.md. `mount(app)` is called by `api.app.create_app`."""
