#!/bin/sh
# The sample API, version 2: routes live in /srv/api/routes, one script per path.
. /usr/lib/api/respond.sh
read -r method path _
route="/srv/api/routes$(echo "$path" | tr -cd 'a-z/')"
if [ -x "$route.sh" ]; then
  . "$route.sh"
else
  respond "404 Not Found" application/json '{"error":"not found"}'
fi
