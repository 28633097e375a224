# virtio-blk seen from Linux (run by /init for minivmm.test=virtio-blk; tests/virtio/t-linux-blk*.sh).
# Expects two disks found by serial: "minivmm-rw", a writable 64 MiB disk, and "minivmm-ro", a
# read-only disk whose first 64 KiB are `yes minivmm-readonly`. The host re-checks what we wrote.
fails=0
ok() { echo "virtio-blk: $1 ok"; }
bad() { echo "virtio-blk: $1 FAILED${2:+: $2}"; fails=$((fails + 1)); }

rw= ro=
for s in /sys/block/vd*; do
	[ -e "$s" ] || continue
	case "$(cat "$s/serial" 2>/dev/null)" in
	minivmm-rw) rw=${s##*/} ;;
	minivmm-ro) ro=${s##*/} ;;
	esac
done
if [ -z "$rw" ] || [ -z "$ro" ] || [ ! -b "/dev/$rw" ] || [ ! -b "/dev/$ro" ]; then
	bad "disks by serial" "found rw='$rw' ro='$ro' among: $(ls /sys/block | tr '\n' ' ')"
	exit 1
fi
ok "both disks present, serials read (rw=$rw ro=$ro)"

[ "$(cat /sys/block/$rw/size)" = 131072 ] && ok "capacity" || bad "capacity" "$(cat /sys/block/$rw/size) sectors"
[ "$(cat /sys/block/$rw/ro)" = 0 ] && ok "writable disk not flagged ro" || bad "writable disk not flagged ro"

# CONFIG_WCE: the driver may switch the cache mode (virtio_blk's cache_type attribute).
ct=/sys/block/$rw/cache_type
if [ "$(cat $ct 2>/dev/null)" = "write back" ] && echo "write through" > $ct && [ "$(cat $ct)" = "write through" ] &&
	echo "write back" > $ct && [ "$(cat $ct)" = "write back" ]; then
	ok "cache mode write back, switchable (CONFIG_WCE)"
else
	bad "cache mode switch" "cache_type '$(cat $ct 2>/dev/null)'"
fi

# 4 MiB pattern at 1 MiB, synced, page cache dropped, read back from the device.
yes minivmm-pattern-0123456789 | head -c 4194304 > /tmp/pat
dd if=/tmp/pat of=/dev/$rw bs=65536 seek=16 conv=fsync 2>/tmp/dd.err || bad "write pattern" "$(cat /tmp/dd.err)"
sync
echo 3 > /proc/sys/vm/drop_caches
blockdev --flushbufs /dev/$rw
dd if=/dev/$rw of=/tmp/back bs=65536 skip=16 count=64 2>/dev/null
cmp /tmp/pat /tmp/back && ok "pattern read back" || bad "pattern read back"

# Discard 1 MiB at 8 MiB (busybox has no write-zeroes tool; the unit tests cover WRITE_ZEROES).
[ "$(cat /sys/block/$rw/queue/discard_max_bytes)" != 0 ] && blkdiscard -o 8388608 -l 1048576 /dev/$rw &&
	ok "discard" || bad "discard"
sync

# The read-only disk: flagged ro, readable, writes refused.
[ "$(cat /sys/block/$ro/ro)" = 1 ] && ok "read-only flag" || bad "read-only flag"
yes minivmm-readonly | head -c 65536 > /tmp/ro
dd if=/dev/$ro of=/tmp/roback bs=65536 count=1 2>/dev/null
cmp /tmp/ro /tmp/roback && ok "read-only disk content" || bad "read-only disk content"
if dd if=/tmp/pat of=/dev/$ro bs=4096 count=1 conv=fsync 2>/dev/null; then
	bad "read-only disk rejects writes"
else
	ok "read-only disk rejects writes"
fi

echo "virtio-blk: $fails failures"
[ "$fails" = 0 ]
