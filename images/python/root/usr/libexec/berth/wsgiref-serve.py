"""Serves a WSGI app (module:callable) with the standard library's threading wsgiref server.

The Python builder's last resort when no WSGI server (gunicorn, waitress, mod_wsgi-express) is
installed: fine for a small app, not for production load.
"""
import importlib
import os
import signal
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main() -> None:
    module_name, _, attr = sys.argv[1].partition(":")
    app = getattr(importlib.import_module(module_name), attr or "application")
    port = int(os.environ.get("PORT", "8080"))
    server = make_server("0.0.0.0", port, app, server_class=ThreadingWSGIServer, handler_class=WSGIRequestHandler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"---> wsgiref serving {sys.argv[1]} on 0.0.0.0:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
