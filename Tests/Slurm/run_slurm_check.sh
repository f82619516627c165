#!/bin/bash
# `make slurm-check`: sharded checks as a real Slurm job array on this machine (Documentation/Scale.md,
# "Slurm"; Documentation/Testing.md). Needs root (slurmd runs the jobs) and Debian's slurm-wlm and munge,
# installed here when missing.
#
# It writes a throwaway single-node cluster into a temp folder (slurm.conf, a munge key, state, spool
# and logs), starts munged, slurmctld and slurmd on it, and then, for each model:
#   1. submits Examples/slurm/check-shards.sbatch as a 3-task job array (small --chunk-size, so that
#      every task has chunks to decide) and
#      Examples/slurm/merge-shards.sbatch as a job depending on it (afterok),
#   2. waits for both (polling squeue; the logs are shown on a timeout or a failed job),
#   3. runs one unsharded `unargmax check` (same --chunk-size) and compares the merged report with it
#      (Tests/Slurm/compare_reports.py: strict, every field but summary.seconds), and
#   4. re-checks the merged certificates with `unargmax verify`.
# The kill test does the same on a seeded 12000 × 8 layer with chunks of 400 classes, cancelling task 1
# (scancel) once its journal holds a committed chunk and requeueing it (scontrol requeue), and requeueing
# task 2 while it runs (as preemption does): both resume from their journals, and the merged report must
# still equal the unsharded one.
# Every daemon is stopped and the temp folder deleted on exit, also on failure or Ctrl-C.
#
# Environment: UNARGMAX (default .build/release/unargmax), PYTHON (python3), SLURM_CHECK_TIMEOUT
# (seconds per wait, default 900), SLURM_CHECK_COMPARE (strict or verdicts; default strict),
# SLURM_CHECK_KEEP=1 keeps the temp folder (the daemons are stopped all the same).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
UNARGMAX=${UNARGMAX:-$ROOT/.build/release/unargmax}
PYTHON=${PYTHON:-python3}
TIMEOUT=${SLURM_CHECK_TIMEOUT:-900}
COMPARE=${SLURM_CHECK_COMPARE:-strict}
SHARDS=3
KILL_CLASSES=12000
KILL_CHUNK=400

say() { echo "slurm-check: $*"; }
fail() {
    echo "slurm-check: FAILED: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root: slurmd runs the jobs and the daemons are started here (sudo make slurm-check)"
[ -x "$UNARGMAX" ] || fail "$UNARGMAX: no unargmax binary (make release builds it)"
case $COMPARE in strict | verdicts) ;; *) fail "SLURM_CHECK_COMPARE must be strict or verdicts, not '$COMPARE'" ;; esac

# Debian's packages, only when missing (dpkg -s is cheap; apt-get is not).
missing=""
for p in slurmctld slurmd slurm-client munge; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
    say "installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# The comparer first (its tests run on real reports; a few seconds).
UNARGMAX=$UNARGMAX "$PYTHON" -m pytest -q -p no:cacheprovider "$ROOT/Tests/Slurm/test_compare_reports.py" ||
    fail "Tests/Slurm/test_compare_reports.py failed (above): the report comparer or unargmax is broken"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/unargmax-slurm.XXXXXX")
chmod 700 "$WORK"
export SLURM_CONF=$WORK/slurm.conf

show_logs() {
    local f
    for f in "$WORK"/log/*.log "$WORK"/run-*/slurm-*.out; do
        [ -f "$f" ] || continue
        echo "----- ${f#"$WORK"/} (last 40 lines)" >&2
        tail -n 40 "$f" >&2
    done
}

stop_pidfile() {  # stop_pidfile FILE: SIGTERM, up to 10 s, then SIGKILL
    local pid
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    if [ -s "$WORK/slurmctld.pid" ]; then
        # Our jobs first (slurmstepd and the job scripts outlive slurmd otherwise), then the daemons.
        scancel --quiet --user=root 2>/dev/null
        for _ in $(seq 30); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 1; done
    fi
    [ "$status" = 0 ] || [ "${LOGS_SHOWN:-0}" = 1 ] || show_logs
    stop_pidfile "$WORK/slurmd.pid"
    stop_pidfile "$WORK/slurmctld.pid"
    stop_pidfile "$WORK/munge/munged.pid"
    if [ "${SLURM_CHECK_KEEP:-0}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- a single-node cluster in $WORK
mkdir -p "$WORK/munge" "$WORK/socket" "$WORK/state" "$WORK/spool" "$WORK/log"
chmod 700 "$WORK/munge"
mungekey --create --keyfile="$WORK/munge/munge.key" --bits=1024
# --force: munged wants every folder above its socket searchable by all users, and $TMPDIR may not be
# (Tests/check_no_temp_leftovers.sh makes it 0700); only root uses this socket.
munged --force --socket="$WORK/socket/munge.socket" --key-file="$WORK/munge/munge.key" \
    --pid-file="$WORK/munge/munged.pid" --log-file="$WORK/log/munged.log" --seed-file="$WORK/munge/munged.seed" ||
    fail "munged did not start (see $WORK/log/munged.log)"

# The node as slurmd sees it (CPUs, sockets, cores, RealMemory), named localhost.
node=$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+/NodeName=localhost NodeAddr=127.0.0.1/')
cat >"$SLURM_CONF" <<EOF
# Throwaway single-node cluster of Tests/Slurm/run_slurm_check.sh
ClusterName=unargmax-check
SlurmctldHost=localhost
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also delays a requeued job's restart (default 120 s)
AuthInfo=socket=$WORK/socket/munge.socket,cred_expire=10
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
SchedulerType=sched/backfill
MinJobAge=600
KillWait=5
$node State=UNKNOWN
PartitionName=check Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF

slurmctld -f "$SLURM_CONF" -c -i || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
deadline=$((SECONDS + 60))
until [ "$(sinfo -h -n localhost -o %T 2>/dev/null)" = idle ]; do
    [ $SECONDS -lt $deadline ] || fail "the node is not idle after 60 s: $(sinfo -N 2>&1)"
    sleep 0.5
done
say "single-node Slurm up in $WORK: $(sinfo -h -N -o '%N %T %c CPUs %m MB')"

# ---------------------------------------------------------------- helpers
states() { scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | xargs; }

wait_jobs() {  # wait_jobs JOBID WHAT: until squeue no longer lists the job (or any task of the array)
    local deadline=$((SECONDS + TIMEOUT))
    while [ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; do
        [ $SECONDS -lt $deadline ] || fail "$2 (job $1) not finished after $TIMEOUT s: $(states "$1")"
        sleep 1
    done
}

expect_completed() {  # expect_completed JOBID WHAT: every task COMPLETED with exit code 0
    local bad  # the others, array tasks named ARRAY_TASK as squeue and the output files name them
    bad=$(scontrol -o show job "$1" | grep -v 'JobState=COMPLETED' |
        sed -E -e 's/^JobId=[0-9]+ ArrayJobId=([0-9]+) ArrayTaskId=([0-9]+) /JobId=\1_\2 /' \
            -e 's/^JobId=([0-9_]+) .*JobState=([A-Z_]+) .*ExitCode=([0-9:]+).*/\1 \2 (exit \3);/' | xargs || true)
    [ -z "$bad" ] || fail "$2 (job $1): not every task completed: $bad"
}

commits() {  # committed chunks of a journal
    local n
    n=$(grep -c '^{"chunk"' "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

failures=()
submit_array() {  # submit_array RUN MODEL SHARDS CHUNK_SIZE: prints the array's job id
    sbatch --parsable --array=0-$(($3 - 1)) --chdir="$1" --output="$1/slurm-%A_%a.out" \
        --export="ALL,MODEL=$2,UNARGMAX=$UNARGMAX,CHUNK_SIZE=$4" \
        "$ROOT/Examples/slurm/check-shards.sbatch" | cut -d';' -f1
}
submit_merge() {  # submit_merge RUN MODEL DEPENDENCY: prints the merge job's id
    sbatch --parsable --dependency="$3" --kill-on-invalid-dep=yes --chdir="$1" \
        --output="$1/slurm-%j-merge.out" --export="ALL,MODEL=$2,UNARGMAX=$UNARGMAX" \
        "$ROOT/Examples/slurm/merge-shards.sbatch" | cut -d';' -f1
}

finish() {  # finish NAME RUN MODEL CHUNK_SIZE ARRAYID MERGEID: wait, compare with an unsharded run, verify
    local name=$1 run=$2 model=$3 chunk=$4 array=$5 merge=$6 start=$SECONDS
    wait_jobs "$array" "$name: the shard array"
    expect_completed "$array" "$name: the shard array"
    wait_jobs "$merge" "$name: the merge job"
    expect_completed "$merge" "$name: the merge job"
    say "$name: array $array and merge job $merge completed: $(cd "$run" && echo shard-*.json report.json certs.npz)"
    local shard count counts=""
    for shard in "$run"/shard-*.json; do  # every task had chunks to decide (else the test shows less)
        count=$("$PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["classes"]))' "$shard")
        [ "$count" -gt 0 ] || fail "$name: ${shard##*/} decided no class: use a smaller chunk size"
        counts="$counts ${shard##*/}: $count,"
    done
    say "$name: classes decided per task:${counts%,}"
    # All cores, as a user runs it; the tasks run with --threads 1 (--cpus-per-task=1): results must not
    # depend on the thread count.
    "$UNARGMAX" check "$model" --chunk-size "$chunk" --format json --quiet --output "$run/unsharded.json" \
        --certificates "$run/unsharded-certs.npz"
    local flags=(--verdicts-only)  # strict: every field, and the certificates bit for bit
    [ "$COMPARE" = verdicts ] || flags=(--certificates "$run/unsharded-certs.npz" "$run/certs.npz")
    if ! "$PYTHON" "$ROOT/Tests/Slurm/compare_reports.py" "${flags[@]}" "$run/unsharded.json" \
        "$run/report.json"; then
        failures+=("$name: the merged report differs from the unsharded run ($COMPARE)")
        [ "$COMPARE" = verdicts ] ||
            "$PYTHON" "$ROOT/Tests/Slurm/compare_reports.py" --verdicts-only "$run/unsharded.json" "$run/report.json" ||
            true
    fi
    "$UNARGMAX" verify "$model" "$run/certs.npz" >/dev/null ||
        fail "$name: unargmax verify rejects the merged certificates"
    say "$name: merged certificates verified; $((SECONDS - start)) s after submitting"
}

# ---------------------------------------------------------------- the bundled layer and model
# Three shards of the bundled layer (2000 classes, chunks of 256: 8 chunks, 3 + 3 + 2 per task) and of
# the bundled model folder (250 classes, chunks of 32).
for spec in "random-2000x6-bias.npz 256" "tiny-bert-mlm 32"; do
    read -r file chunk <<<"$spec"
    model="$ROOT/Examples/$file"
    name="$file, $SHARDS shards"
    run="$WORK/run-$file"
    mkdir -p "$run"
    array=$(submit_array "$run" "$model" "$SHARDS" "$chunk")
    merge=$(submit_merge "$run" "$model" "afterok:$array")
    say "$name: submitted array $array (chunks of $chunk classes) and merge job $merge (afterok:$array)"
    finish "$name" "$run" "$model" "$chunk" "$array" "$merge"
done

# ---------------------------------------------------------------- kill test: cancel one task, preempt another
# Task 1 is cancelled (scancel) once its journal holds a committed chunk and then requeued (scontrol
# requeue); task 2 is requeued while running, as preemption does. Both must resume from their journals.
name=kill-test
run="$WORK/run-$name"
mkdir -p "$run"
model="$run/layer.npz"
"$UNARGMAX" random --classes $KILL_CLASSES --dim 8 --seed 5 --bias --save "$model" >/dev/null
array=$(submit_array "$run" "$model" $SHARDS $KILL_CHUNK)
chunks=$((KILL_CLASSES / KILL_CHUNK / SHARDS))  # per task: chunks k with k mod 3 = i
say "$name: submitted array $array on a $KILL_CLASSES × 8 layer, $chunks journal chunks of $KILL_CHUNK per task"

wait_for_commit() {  # wait_for_commit TASK: until the task's journal holds a committed chunk
    local journal="$run/shard-$1.journal" deadline=$((SECONDS + TIMEOUT)) state
    until [ "$(commits "$journal")" -ge 1 ]; do
        state=$(states "${array}_$1")
        case $state in
            *RUNNING* | *PENDING*) ;;
            *) fail "$name: task $1 ended ($state) before its journal held a chunk: use a larger layer" ;;
        esac
        [ $SECONDS -lt $deadline ] || fail "$name: no committed chunk in $journal after $TIMEOUT s"
        sleep 0.2
    done
}

wait_for_state() {  # wait_for_state TASK PATTERN WHAT
    local deadline=$((SECONDS + 60))
    until [[ "$(states "${array}_$1")" == $2 ]]; do
        case $(states "${array}_$1") in *COMPLETED*) fail "$name: task $1 completed before $3 reached it" ;; esac
        [ $SECONDS -lt $deadline ] || fail "$name: task $1 still $(states "${array}_$1") 60 s after $3"
        sleep 0.2
    done
}

wait_for_commit 1
scancel "${array}_1"
wait_for_state 1 "1 CANCELLED" scancel
[ ! -e "$run/shard-1.json" ] || fail "$name: task 1 wrote its report although it was cancelled"
cp "$run/shard-1.journal" "$run/journal-1-interrupted"
say "$name: cancelled task ${array}_1 with $(commits "$run/shard-1.journal") of $chunks chunks committed;" \
    "requeueing it"
scontrol requeue "${array}_1" || fail "$name: scontrol requeue ${array}_1 refused"

wait_for_commit 2
[ ! -e "$run/shard-2.json" ] || fail "$name: task 2 finished before it could be preempted: use a larger layer"
scontrol requeue "${array}_2" || fail "$name: scontrol requeue of the running task ${array}_2 refused"
wait_for_state 2 "*PENDING*" "scontrol requeue"
cp "$run/shard-2.journal" "$run/journal-2-interrupted"
say "$name: requeued the running task ${array}_2 (preemption) with $(commits "$run/shard-2.journal") chunks committed"

# Slurm 22.05 keeps the cancel in the array's record: a dependency on the whole array (afterok:ARRAY)
# is never satisfied after it, even once the requeued task succeeds; one on each task is.
tasks=$(seq -s: -f "${array}_%g" 0 $((SHARDS - 1)))
merge=$(submit_merge "$run" "$model" "afterok:$tasks")
say "$name: submitted merge job $merge (afterok:$tasks)"
finish "$name" "$run" "$model" $KILL_CHUNK "$array" "$merge"

for task in 1 2; do
    # The task ran again and resumed: its journal still begins with every chunk committed before.
    committed_bytes=$("$PYTHON" -c '
import sys
data = open(sys.argv[1], "rb").read()
end = data.rfind(b"\n{\"chunk\"")
print(data.index(b"\n", end + 1) + 1 if end >= 0 else 0)' "$run/journal-$task-interrupted")
    cmp -s -n "$committed_bytes" "$run/journal-$task-interrupted" "$run/shard-$task.journal" ||
        fail "$name: task $task's journal does not begin with the chunks committed before the interruption"
    starts=$(grep -c "task $task of $SHARDS on" "$run/slurm-${array}_$task.out" || true)
    [ "$starts" -ge 2 ] || fail "$name: task $task ran $starts time(s); it should have run again after the requeue"
    say "$name: task $task ran $starts times and kept its $(commits "$run/journal-$task-interrupted") chunks" \
        "committed before the interruption ($committed_bytes bytes; $(commits "$run/shard-$task.journal") in the end)"
done

if [ ${#failures[@]} -gt 0 ]; then
    LOGS_SHOWN=1  # every job succeeded: the differences above are the whole story
    printf 'slurm-check: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
say "passed: $SECONDS s"
