"""The periodic schedule, for exactly one `rq cron` process per deployment:

    rq cron workers.cron --url "$REDIS_URL"

(with the same FEEDBACK_QUEUE_PREFIX as the web and worker processes). Cron expressions are
evaluated in UTC by rq. The sweep finds everything due from the database — reminders,
escalations, the daily digest, e-mail retries, platform deliveries — so it only needs to run
often; a missed or lost run costs a delay, never a notice.
"""
from __future__ import annotations

import os

from rq import cron

from feedback.config import from_environment
from workers import exports, imports, tasks

PREFIX = from_environment(instance_path=".")["RQ_QUEUE_PREFIX"]
NOTIFY_QUEUE = f"{PREFIX}-notify"
SWEEP_SECONDS = int(os.environ.get("FEEDBACK_SWEEP_SECONDS") or 300)

cron.register(tasks.sweep, queue_name=NOTIFY_QUEUE, interval=SWEEP_SECONDS, job_timeout=1800,
              result_ttl=3600, name=f"{PREFIX}:sweep")
# A safety net behind the recompute that a calendar load queues: 02:30 Asia/Shanghai.
cron.register(tasks.recompute_and_notify, queue_name=NOTIFY_QUEUE, cron="30 18 * * *", job_timeout=1800,
              name=f"{PREFIX}:recompute-provisional")
# Imports whose worker died mid-file are resumed from their last committed chunk.
cron.register(imports.requeue_stalled_imports, queue_name=f"{PREFIX}-imports", interval=SWEEP_SECONDS,
              job_timeout=600, result_ttl=3600, name=f"{PREFIX}:requeue-stalled-imports")
# The previous month's closure export for each top-level supervisor, on the 1st (it catches up a
# missed month on a later run); and export jobs lost with Redis or a dead worker are restarted.
cron.register(exports.monthly_exports, queue_name=f"{PREFIX}-exports", cron="30 16 * * *", job_timeout=3600,
              result_ttl=86400, name=f"{PREFIX}:monthly-exports")
cron.register(exports.sweep_exports, queue_name=f"{PREFIX}-exports", interval=SWEEP_SECONDS, job_timeout=600,
              result_ttl=3600, name=f"{PREFIX}:sweep-exports")
