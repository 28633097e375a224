# virtio-blk under a real filesystem and parallel I/O (minivmm.test=virtio-blk-stress; run by
# tests/virtio/t-linux-blk-stress.sh). Disk with serial "minivmm-fs": ext2 made here, 200 files
# written, checksummed, remounted and verified while two readers stream the raw device in
# parallel (many requests in flight, multi-segment and indirect chains, EVENT_IDX).
# Prints "virtio-blk-stress: write/read MB/s" lines the host turns into NOTEs.
fails=0
ok() { echo "virtio-blk-stress: $1 ok"; }
bad() { echo "virtio-blk-stress: $1 FAILED${2:+: $2}"; fails=$((fails + 1)); }

dev=
for s in /sys/block/vd*; do
	[ "$(cat "$s/serial" 2>/dev/null)" = minivmm-fs ] && dev=/dev/${s##*/}
done
[ -b "$dev" ] || { bad "disk with serial minivmm-fs" "$(ls /sys/block | tr '\n' ' ')"; exit 1; }

# Raw throughput (the interpreter's speed dominates; informative only).
dd if=/dev/urandom of=/tmp/blob bs=65536 count=256 2>/dev/null
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/tmp/blob of="$dev" bs=65536 seek=1024 conv=fsync 2>/dev/null || bad "raw write"
t1=$(cut -d' ' -f1 /proc/uptime)
echo 3 > /proc/sys/vm/drop_caches
dd if="$dev" of=/tmp/blob2 bs=65536 skip=1024 count=256 2>/dev/null || bad "raw read"
t2=$(cut -d' ' -f1 /proc/uptime)
cmp /tmp/blob /tmp/blob2 && ok "16 MiB raw write/read" || bad "16 MiB raw write/read"
echo "virtio-blk-stress: write $(awk "BEGIN{printf \"%.1f\", 16/($t1-$t0+0.001)}") MB/s, read $(awk "BEGIN{printf \"%.1f\", 16/($t2-$t1+0.001)}") MB/s (16 MiB, guest clock)"
rm -f /tmp/blob /tmp/blob2

mke2fs -q -b 4096 "$dev" >/tmp/mkfs.log 2>&1 && ok "mke2fs" || { bad "mke2fs" "$(cat /tmp/mkfs.log)"; exit 1; }
mkdir -p /mnt/fs
mount -t ext4 "$dev" /mnt/fs || mount -t ext2 "$dev" /mnt/fs || { bad "mount"; exit 1; }

# Two raw readers over the end of the disk keep the queue busy while the filesystem is written.
(dd if="$dev" of=/dev/null bs=1M skip=128 2>/dev/null; dd if="$dev" of=/dev/null bs=4096 skip=40000 2>/dev/null) &
r1=$!
(dd if="$dev" of=/dev/null bs=16384 skip=10000 2>/dev/null) &
r2=$!
i=0
while [ $i -lt 200 ]; do
	n=$(( (i * 7919) % 96 + 1 ))
	dd if=/dev/urandom of=/mnt/fs/f$i bs=1024 count=$n 2>/dev/null || bad "write f$i"
	i=$((i + 1))
done
mkdir -p /mnt/fs/dir/sub
cp /mnt/fs/f1* /mnt/fs/dir/sub/ || bad "copy files"
df -k /mnt/fs | tail -1
(cd /mnt/fs && sha256sum f* dir/sub/* > /tmp/sums)
wait $r1 $r2 && ok "parallel raw readers" || bad "parallel raw readers"
sync
umount /mnt/fs && ok "umount" || bad "umount"
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 "$dev" /mnt/fs || mount -t ext2 "$dev" /mnt/fs || { bad "remount"; exit 1; }
(cd /mnt/fs && sha256sum -c -s /tmp/sums) && ok "$(wc -l < /tmp/sums) files verified after remount" ||
	bad "checksums after remount"
# Delete half the files and fstrim: discards through the filesystem.
rm -f /mnt/fs/f*1 /mnt/fs/f*3 /mnt/fs/f*5
fstrim /mnt/fs 2>/tmp/fstrim.err && ok "fstrim" || bad "fstrim" "$(cat /tmp/fstrim.err)"
(cd /mnt/fs && sha256sum f*0 dir/sub/* > /tmp/sums2)
umount /mnt/fs
echo 3 > /proc/sys/vm/drop_caches
mount -t ext4 "$dev" /mnt/fs || mount -t ext2 "$dev" /mnt/fs
(cd /mnt/fs && sha256sum -c -s /tmp/sums2) && ok "remaining files intact after fstrim" || bad "files after fstrim"
umount /mnt/fs
sync
echo "virtio-blk-stress: $fails failures"
[ "$fails" = 0 ]
