#!/usr/bin/env bash
# Starts Debian's real tinyproxy and microsocks on loopback for the
# realproxy tests, and exports where they listen. Source it; call
# stop_proxies when done.
set -euo pipefail

if ! command -v tinyproxy >/dev/null || ! command -v microsocks >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tinyproxy microsocks >/dev/null
fi
# The package may start its own tinyproxy service on port 8888; ours is separate.

proxy_dir=$(mktemp -d)
cat >"$proxy_dir/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port 18888
Listen 127.0.0.1
Timeout 30
Allow 127.0.0.1
MaxClients 32
LogLevel Error
BasicAuth org tiny-pass
CONF

tinyproxy -d -c "$proxy_dir/tinyproxy.conf" >"$proxy_dir/tinyproxy.log" 2>&1 &
tinyproxy_pid=$!
microsocks -i 127.0.0.1 -p 11080 -u org -P socks-pass >"$proxy_dir/microsocks.log" 2>&1 &
microsocks_pid=$!

stop_proxies() {
  kill "$tinyproxy_pid" "$microsocks_pid" 2>/dev/null || true
  wait "$tinyproxy_pid" "$microsocks_pid" 2>/dev/null || true
  rm -rf "$proxy_dir"
}

wait_port() { # port
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  cat "$proxy_dir"/*.log >&2
  return 1
}
wait_port 18888
wait_port 11080

export HTTPSTEP_TINYPROXY=http://org:tiny-pass@127.0.0.1:18888
export HTTPSTEP_MICROSOCKS=socks5://org:socks-pass@127.0.0.1:11080
