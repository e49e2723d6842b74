"""A Flask app that counts its visits in PostgreSQL and shows the result of a Celery task.

GET /         records a visit, sends add(2, 3) to the worker through Redis and answers
              `visits=N celery=5` (N: the visits stored so far, this one included).
GET /healthz  answers `ok` (the readiness probe; it needs neither the database nor the worker).

The database is found by its Service's name (DATABASE_SERVICE_NAME, or the
<NAME>_SERVICE_HOST / _SERVICE_PORT variables pods get), the credentials come from the
template's Secret.
"""
import os

import psycopg2
from flask import Flask

from tasks import add

app = Flask(__name__)


def database():
    service = os.environ.get("DATABASE_SERVICE_NAME", "postgresql")
    key = service.upper().replace("-", "_")
    return psycopg2.connect(
        host=os.environ.get(f"{key}_SERVICE_HOST", service),
        port=int(os.environ.get(f"{key}_SERVICE_PORT", "5432")),
        dbname=os.environ["DATABASE_NAME"],
        user=os.environ["DATABASE_USER"],
        password=os.environ["DATABASE_PASSWORD"],
        connect_timeout=5,
    )


def count_visit():
    conn = database()
    try:
        with conn, conn.cursor() as cur:  # one transaction, committed on leaving
            cur.execute("CREATE TABLE IF NOT EXISTS visits (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())")
            cur.execute("INSERT INTO visits DEFAULT VALUES")
            cur.execute("SELECT count(*) FROM visits")
            return cur.fetchone()[0]
    finally:
        conn.close()


@app.get("/")
def index():
    visits = count_visit()
    result = add.delay(2, 3).get(timeout=int(os.environ.get("CELERY_TIMEOUT", "20")))
    return f"visits={visits} celery={result}\n", 200, {"Content-Type": "text/plain"}


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain"}
