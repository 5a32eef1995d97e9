#!/usr/bin/env bash
# usbpo export writes only a regular file, atomically: never over its input
# (by name, through a hard link or through its temporary), over any other
# checkpoint, onto a device, a FIFO, a socket, a directory or through a symbolic link (refused;
# the link and its target stay as they were).
# usage: export_safety_test.sh USBPO_BINARY SCRATCH_DIR
set -euo pipefail
usbpo="$1"
scratch="$2"
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch"
fail() { echo "FAIL: $*"; exit 1; }
"$usbpo" train --env pendulum --steps 150 --start-steps 100 --update-after 100 --hidden 16 --batch 32 \
  --epoch-length 150 --eval-episodes 1 --out run > train.out 2>&1 || { cat train.out; fail "training failed"; }
cp run/checkpoint.usbpo-ckpt other.usbpo-ckpt
ln run/checkpoint.usbpo-ckpt hard-link.usbpo
echo "keep me" > target.txt
ln -s target.txt link.usbpo
ln -s run/checkpoint.usbpo-ckpt ckpt-link.usbpo
mkdir a-directory
mkfifo a-fifo
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("a-socket")'
[ -p a-fifo ] && [ -S a-socket ] || fail "could not make the FIFO and the socket"
sums() { md5sum run/checkpoint.usbpo-ckpt other.usbpo-ckpt target.txt; }
before=$(sums)

refused() {  # NAME WORDS OUT [CHECKPOINT]: export must exit 2 with WORDS and change nothing
  local name="$1" words="$2" out="$3" input="${4:-run}" code=0
  "$usbpo" export --checkpoint "$input" --out "$out" > "$name.out" 2>&1 || code=$?
  [ $code = 2 ] || { cat "$name.out"; fail "$name: exit $code, expected 2"; }
  grep -q -- "$words" "$name.out" || { cat "$name.out"; fail "$name: no clear reason (expected '$words')"; }
  [ "$before" = "$(sums)" ] || fail "$name: a refused export changed a file"
}
refused input "is the checkpoint it reads; export never writes over its input" run/checkpoint.usbpo-ckpt
refused input-by-file "is the checkpoint it reads" other.usbpo-ckpt other.usbpo-ckpt
refused hard-link "is the checkpoint it reads" hard-link.usbpo
refused other-checkpoint "other.usbpo-ckpt is a checkpoint; export never writes over a checkpoint" other.usbpo-ckpt
refused dev-null "/dev/null is a device; only a regular file is written" /dev/null
refused directory "a-directory is a directory" a-directory
refused fifo "a-fifo is a FIFO; only a regular file is written" a-fifo
refused socket "a-socket is a socket; only a regular file is written" a-socket
[ -p a-fifo ] && [ -S a-socket ] || fail "the FIFO or the socket was replaced"
refused trailing-slash "names a directory" new-dir/
refused symlink "link.usbpo is a symbolic link" link.usbpo
refused symlink-to-checkpoint "is a symbolic link" ckpt-link.usbpo
[ "$(readlink link.usbpo)" = target.txt ] || fail "the symbolic link was replaced"
cp run/checkpoint.usbpo-ckpt through.usbpo.tmp
before=$(sums; md5sum through.usbpo.tmp)
sums() { md5sum run/checkpoint.usbpo-ckpt other.usbpo-ckpt target.txt through.usbpo.tmp; }
refused temporary "through.usbpo.tmp, which the write goes through, is a checkpoint" through.usbpo through.usbpo.tmp
refused empty "must not be empty" ""
refused missing-dir "cannot write no-such-dir/p.usbpo" no-such-dir/p.usbpo
echo "ok: export refuses its input, checkpoints, /dev/null, FIFOs, sockets, directories and symbolic links"

# A regular file is replaced atomically (no temporary left), a new one created.
echo "an old policy" > old.usbpo
"$usbpo" export --checkpoint run --out old.usbpo > replace.out || fail "export over a regular file"
"$usbpo" export --checkpoint run/checkpoint.usbpo-ckpt --out new.usbpo > new.out || fail "export to a new file"
cmp old.usbpo new.usbpo || fail "the replaced file differs from a fresh export"
cmp old.usbpo run/policy.usbpo || fail "the export differs from the run's policy"
[ ! -e old.usbpo.tmp ] && [ ! -e new.usbpo.tmp ] || fail "a temporary file was left"
"$usbpo" eval --policy old.usbpo --episodes 1 > /dev/null || fail "the exported policy does not load"
echo "ok: export replaces a regular file atomically"
