#!/bin/sh
# Answers every request with the greeting baked into the image at build time.
set -eu
while true; do
  body="$(cat /var/lib/service/greeting)"
  printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %s\r\n\r\n%s\n' \
    "$(( ${#body} + 1 ))" "$body" | nc -l -p "${PORT}" >/dev/null
done
