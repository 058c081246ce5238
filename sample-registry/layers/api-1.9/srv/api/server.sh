#!/bin/sh
# The sample API, version 1.9: one route, /health.
. /usr/lib/api/respond.sh
read -r method path _
case "$path" in
  /health) respond "200 OK" application/json '{"status":"ok","version":"1.9.3"}' ;;
  *) respond "404 Not Found" application/json '{"error":"not found"}' ;;
esac
