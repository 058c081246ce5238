respond "200 OK" application/json '{"status":"ok","version":"2.0.0"}'
