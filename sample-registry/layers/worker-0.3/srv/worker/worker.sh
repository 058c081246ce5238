#!/bin/sh
# The sample worker, 0.3: roast a batch every minute.
while true; do
  echo "roasting batch $(date +%H%M)"
  sleep 60
done
