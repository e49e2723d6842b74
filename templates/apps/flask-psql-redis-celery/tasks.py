"""The Celery application: the broker and the result store are Redis (CELERY_BROKER_URL,
CELERY_RESULT_BACKEND, both from the template's Secret). The worker runs
`python -m celery -A tasks worker`; the web app sends `add` and waits for its result."""
import os

from celery import Celery

celery = Celery("tasks", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"])
celery.conf.update(
    broker_connection_retry_on_startup=True,
    task_acks_late=True,
    result_expires=3600,
)


@celery.task
def add(x, y):
    return x + y
