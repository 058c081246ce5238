#!/bin/sh
# The sample worker, 0.4: batch size and interval come from /etc/worker/worker.conf.
. /etc/worker/worker.conf
while true; do
  echo "roasting a batch of ${BATCH_KG} kg"
  sleep "${INTERVAL_SECONDS}"
done
