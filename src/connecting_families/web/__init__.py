"""Pages for people: Jinja2 templates and HTMX, served by the same app as the API.

Handlers here are as thin as the API's: they read a form, call the same services, and render
a template. Every asset is served by the app itself (no CDN, no build step).
"""
