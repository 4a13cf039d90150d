# Shell helpers the test scripts share (sourced, not run).

# wait_for FILE TEXT [TRIES]: a bounded wait (no timing assertion) for TEXT to
# appear in FILE, checking every 50 ms (TRIES times, default 1200: a minute).
wait_for() {
  local tries=${3:-1200}
  for _ in $(seq 1 "$tries"); do
    grep -qF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "gave up waiting for '$2' in $1:"; cat "$1"; return 1
}
