"""ASGI middleware guarding the HTTP edge (issue 12): body size, cookie origins, security
headers. Each is a plain ASGI callable; server.py lists them in `create_app`."""
