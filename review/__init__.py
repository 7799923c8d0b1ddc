"""The reviewers' web app and its JSON API (``offermap serve``).

- ``app``: the FastAPI application, security headers, sessions and CSRF checks;
- ``web``: the server-rendered pages (templates/, static/review.js for shortcuts);
- ``api``: the JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``, shown for
  people at ``/api/docs``);
- ``service``: what reviewers do (queue, decisions, edits, undo, duplicates), shared
  with the command line (``offermap review ...``);
- ``auth``: accounts (argon2), login sessions, throttling;
- ``render``: the Jinja2 environment and the only paths from scraped data to markup.
"""
