"""Settings module for workers: `rq worker -c workers.settings --url "$REDIS_URL" QUEUE…`.

rq imports it in the worker's main process; importing it preloads the application, so each
job's forked process starts warm. Redis and the queues stay on the command line.
"""
from workers import context

context.preload()
