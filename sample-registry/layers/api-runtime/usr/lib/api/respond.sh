#!/bin/sh
# Shared helpers of the sample API: write one HTTP response to stdout.
respond() {
  status="$1"; type="$2"; body="$3"
  printf 'HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %s\r\n\r\n%s' \
    "$status" "$type" "${#body}" "$body"
}
