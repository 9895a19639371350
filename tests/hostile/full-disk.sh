#!/usr/bin/env bash
# kmgrade on a full disk and on a read-only output folder: exit status 1 and a message that
# names the folder, before any student is graded.
#   full-disk.sh KMGRADE CLASS.zip SUBMISSION
set -euo pipefail
if [[ ${KMGRADE_IN_MOUNT_NS:-} != 1 ]]; then
  KMGRADE_IN_MOUNT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
kmgrade=$1 class=$2 submission=$3
disk=$(mktemp -d)
trap 'umount "$disk" 2>/dev/null || true; rmdir "$disk"' EXIT
mount -t tmpfs -o size=8m tmpfs "$disk"
head -c 7M /dev/zero > "$disk/filler"

expect() { # STATUS TEXT COMMAND...
  local status=$1 text=$2
  shift 2
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  if [[ $rc -ne $status ]] || ! grep -qF -- "$text" <<<"$out"; then
    echo "FAIL: $* exited $rc (want $status) and said:"
    echo "$out"
    echo "(want it to say: $text)"
    exit 1
  fi
  echo "ok: $* -> $rc: $text"
}

expect 1 "the disk under the output folder $disk/out is full" \
  "$kmgrade" batch "$class" --out "$disk/out" --quiet
expect 1 "the disk under the scratch folder (TMPDIR) $disk is full" \
  env TMPDIR="$disk" "$kmgrade" grade "$submission" --quiet
[[ -z $(find "$disk" -mindepth 1 -not -name filler -not -path "$disk/out*") ]] ||
  { echo "FAIL: kmgrade left files on the full disk:"; find "$disk"; exit 1; }

umount "$disk"
mount -t tmpfs -o ro,size=8m tmpfs "$disk"
expect 1 "cannot write the output folder $disk/out: Read-only file system" \
  "$kmgrade" batch "$class" --out "$disk/out" --quiet
