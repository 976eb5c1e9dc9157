#!/usr/bin/env bash
# Starts one ablate trainer node per GPU on this host (one CPU trainer when there is no GPU), each a
# JVM of its own (DJL allows one open gradient collector per process), and waits for them. SIGTERM
# or Ctrl-C stops them all gracefully (each leaves the cluster). A node that exits is not restarted
# here: use the systemd unit (ablate-node@.service) or your scheduler for that.
#
#   ops/launch/trainers.sh --seed COORDINATOR_HOST:25520 [--host THIS_HOST] [--data-dir DIR] \
#       [--storage /shared/runs] [--gpus 0,1,2,3] [--log-dir DIR] [-- extra `ablate node` arguments]
#
# Each trainer sees only its own GPU (CUDA_VISIBLE_DEVICES=i, --device cuda:0), so nothing of it can
# land on a neighbour's device. Logs: LOG_DIR/trainer-i.log; pids: LOG_DIR/trainer-i.pid.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
seed="" host=$(hostname -f 2>/dev/null || hostname) data_dir="$PWD/ablate-data" storage="" gpus="" log_dir="$PWD/ablate-logs"
extra=()
while (($#)); do
  case $1 in
    --seed) seed=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --storage) storage=$2; shift 2 ;;
    --gpus) gpus=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "trainers.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $seed ]] || { echo "trainers.sh: --seed HOST:PORT (the coordinator's cluster address) is required" >&2; exit 2; }
if [[ -z $gpus ]] && command -v nvidia-smi >/dev/null 2>&1; then
  gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | paste -sd, - || true)
fi
mkdir -p "$log_dir" "$data_dir"
# shellcheck source=ops/launch/numerics.sh
source "$root/ops/launch/numerics.sh"
common=(node --role trainer --host "$host" --seed "$seed" --data-dir "$data_dir")
[[ -n $storage ]] && common+=(--set "cluster.storage=$storage")

pids=()
stop() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap stop TERM INT

if [[ -z $gpus ]]; then
  echo "trainers.sh: no GPU found; starting one CPU trainer" >&2
  "$root/ablate" "${common[@]}" --device cpu "${extra[@]}" >"$log_dir/trainer-cpu.log" 2>&1 &
  pids+=($!); echo "$!" >"$log_dir/trainer-cpu.pid"
else
  IFS=, read -ra list <<<"$gpus"
  for i in "${list[@]}"; do
    CUDA_VISIBLE_DEVICES=$i "$root/ablate" "${common[@]}" --device cuda:0 "${extra[@]}" >"$log_dir/trainer-$i.log" 2>&1 &
    pids+=($!); echo "$!" >"$log_dir/trainer-$i.pid"
  done
  echo "trainers.sh: started ${#list[@]} GPU trainers (GPUs $gpus); logs in $log_dir" >&2
fi
status=0
for p in "${pids[@]}"; do wait "$p" || status=$?; done
exit "$status"
