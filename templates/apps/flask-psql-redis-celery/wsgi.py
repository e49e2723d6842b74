# What the Python builder serves with gunicorn (it looks for wsgi.py:application).
from web import app as application  # noqa: F401
