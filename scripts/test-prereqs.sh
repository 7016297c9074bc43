#!/usr/bin/env bash
# Makes a machine ready for `pnpm test`: the tests talk to real Redis and RabbitMQ servers, run a Kafka
# mock cluster through kcat, publish with amqp-tools and make TLS certificates with openssl. What is missing is
# installed with apt-get (root, or sudo without a password) and the servers are started when they do not
# answer. Where that is not possible it stops with the command to run by hand. See docs/testing.md.
set -euo pipefail

say() { printf 'test-prereqs: %s\n' "$*" >&2; }

# command → Debian package that provides it
declare -A pkg_of=(
  [kcat]=kcat
  [amqp-publish]=amqp-tools
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [rabbitmq-server]=rabbitmq-server
  [rabbitmqctl]=rabbitmq-server
  [ss]=iproute2
  [chromium]=chromium
  [openssl]=openssl
)

missing=()
for cmd in "${!pkg_of[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
done
# unique package names
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 99
  fi
}

if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing[*]} and this machine has no apt-get; install those packages by hand"
    exit 1
  fi
  say "installing ${missing[*]} with apt-get"
  if ! as_root apt-get update -qq; then
    say "cannot install as a normal user; run: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2 i
  for i in $(seq 1 120); do
    port_open "$port" && return 0
    sleep 0.5
  done
  say "$name did not start listening on 127.0.0.1:$port within 60 s"
  exit 1
}

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting redis on 127.0.0.1:6379"
  as_root redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null ||
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379 redis
fi
if ! port_open 5672; then
  say "starting rabbitmq on 127.0.0.1:5672"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_port 5672 rabbitmq
  # the AMQP port opens a moment before the node accepts management commands
  for _ in $(seq 1 60); do
    as_root rabbitmqctl -q status >/dev/null 2>&1 && break
    sleep 1
  done
fi
exit 0
