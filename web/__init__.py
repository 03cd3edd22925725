"""The analysts' workspace: a Starlette app over the archive (``raqib web``).

Nothing is built at import time: :func:`web.app.create_app` makes the app for a database URL.
"""
