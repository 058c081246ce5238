respond "200 OK" application/json '[{"id":1,"item":"espresso"},{"id":2,"item":"cortado"}]'
