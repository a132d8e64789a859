"""Gunicorn settings for the web processes: ``gunicorn 'register:create_app()'``.

Every setting can be overridden by the usual GUNICORN_CMD_ARGS or the variables below. The
web processes are stateless: run as many as the database allows, on as many machines as
you like, behind any HTTP load balancer. The notification worker runs separately
(``flask --app register worker``), never inside these processes.
"""

import multiprocessing
import os

bind = os.environ.get("REGISTER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("REGISTER_THREADS", "1"))
# Requests are short; a stuck one is killed rather than left to block a worker.
timeout = int(os.environ.get("REGISTER_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
# No preload: each worker creates its own database engine and connection pool after fork.
preload_app = False
# "-" logs each request to stdout; an empty value turns the access log off.
accesslog = os.environ.get("REGISTER_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Once the worker has loaded the app, its long-lived objects (models, schemas,
    catalogues) move to the collector's permanent generation (``gc.freeze``): the garbage
    collections that a request's many short-lived objects set off then skip them."""
    import gc

    gc.freeze()
