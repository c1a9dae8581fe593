/* SPDX-License-Identifier: MIT */
/*
 * Nested Xen's boot material (docs/xen.md): the hypervisor and toolstack
 * from Debian's packages, Debian's kernel as an uncompressed vmlinux, and
 * virtbench's own initramfs for dom0 and the domU. Everything is built on
 * the host without installing anything, once, and cached.
 */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zlib.h>

#include "core/proc.h"
#include "core/util.h"
#include "guest/deb.h"
#include "guest/image-build.h"
#include "guest/initramfs.h"
#include "guest/kernel.h"
#include "guest/xen.h"

#define XEN_BIN "usr/lib/xen-" VB_XEN_SERIES "/bin"

/* Everything dom0 runs of Xen's (about 4.8 MB of .debs). */
static const char *const packages[] = {
	"xen-hypervisor-" VB_XEN_SERIES "-amd64",
	"xen-utils-" VB_XEN_SERIES,
	"xen-utils-common",
	"xenstore-utils",
	"libxenmisc" VB_XEN_SERIES, /* libxenctrl, libxenguest, libxenlight, libxlutil */
	"libxencall1",
	"libxendevicemodel1",
	"libxenevtchn1",
	"libxenforeignmemory1",
	"libxengnttab1",
	"libxenhypfs1",
	"libxenstore4",
	"libxentoolcore1",
	"libxentoollog1",
	"libyajl2",
};

/*
 * The toolstack's real binaries (Debian's /usr/sbin entries are a shell
 * wrapper): linked from /sbin. xenconsole only serves `xl console`.
 */
static const char *const toolstack[] = {
	"xl", "xenstored", "xenconsoled", "xen-init-dom0", "xenconsole",
};

/* xenstore's client modes, each a copy of the one multi-call binary. */
static const char *const xenstore_tools[] = {
	"xenstore-read", "xenstore-write", "xenstore-exists", "xenstore-watch",
	"xenstore-ls",	 "xenstore-list",  "xenstore-rm",
};

/*
 * dom0's modules (hvc_xen, xenbus and the PV dom0 support are built into
 * Debian's kernel): the agent's virtio-serial port, the virtio disks, the
 * toolstack's devices, blkback for the domU's disk, ext4 for the boot disk;
 * loop for file-backed domU disks (xen-local run in this dom0 by a test).
 */
static const char *const dom0_modules[] = {
	"virtio_pci",	"virtio_console", "virtio_blk",	 "xen-evtchn",	"xen-gntdev",
	"xen-gntalloc", "xen-privcmd",	  "xenfs",	 "xen-blkback", "crc32c_generic",
	"ext4",		"virtio_net",	  "xen-netback", "bridge",	"loop",
};

/* The domU's: its PV disk and the filesystem on it. Its console needs none. */
static const char *const domu_modules[] = { "xen-blkfront", "crc32c_generic", "ext4",
					    "xen-netfront" };

/*
 * The control loop (docs/xen.md), shared by the nested dom0 and xen-local.
 * Before it: VB_STATE (the host's slotK.port, slotK.disk and optional
 * slotK.name files, and the loop's own), VB_AGENT (the relay), VB_KERNEL and
 * VB_RAMDISK (the domU's), VB_BRIDGE (w3), fd 6 the control channel, and
 * the functions say, on_eof (the channel read nothing) and finish (poweroff).
 */
#define CTL_LOOP                                                                                   \
	"# Uptime in ms (10 ms steps); \"1\" in front keeps a fraction like 05 decimal.\n"         \
	"ms() {\n"                                                                                 \
	"\tt=$(cut -d' ' -f1 /proc/uptime)\n"                                                      \
	"\techo $((${t%.*} * 1000 + 1${t#*.} * 10 - 1000))\n"                                      \
	"}\n"                                                                                      \
	"answer() { printf '%s\\n' \"$*\" >&6; }\n"                                                \
	"# A message for msg=: printable ASCII, one line, at most 200 bytes, never empty.\n"       \
	"clean() {\n"                                                                              \
	"\tm=$(tr -cd '\\040-\\176' | tr -s ' ' | cut -c1-200 | sed 's/ *$//')\n"                  \
	"\techo \"${m:-failed}\"\n"                                                                \
	"}\n"                                                                                      \
	"num() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }\n"                                  \
	"# Slot K's domU: the name the host gave it (xen-local: the guest's), else vbK.\n"         \
	"dname() { cat $VB_STATE/slot$1.name 2>/dev/null || echo vb$1; }\n"                        \
	"# create_slot K VCPUS MEM IP GW: slot K's domU on its disk; its relay to its port.\n"     \
	"create_slot() {\n"                                                                        \
	"\tid= why=\n"                                                                             \
	"\tport=$(cat $VB_STATE/slot$1.port 2>/dev/null)\n"                                        \
	"\tdisk=$(cat $VB_STATE/slot$1.disk 2>/dev/null)\n"                                        \
	"\troot=$(cat $VB_STATE/slot$1.root 2>/dev/null)\n"                                        \
	"\tname=$(dname $1)\n"                                                                     \
	"\t[ -n \"$port\" ] || { why=\"slot $1 has no agent port\" && return 1; }\n"               \
	"\txl domid $name >/dev/null 2>&1 && { why=\"slot $1 is in use\" && return 1; }\n"         \
	"\t{\n"                                                                                    \
	"\t\techo \"name = \\\"$name\\\"\"\n"                                                      \
	"\t\techo 'type = \"pv\"'\n"                                                               \
	"\t\techo \"kernel = \\\"$VB_KERNEL\\\"\"\n"                                               \
	"\t\techo \"ramdisk = \\\"$VB_RAMDISK\\\"\"\n"                                             \
	"\t\techo \"memory = $3\"\n"                                                               \
	"\t\techo \"vcpus = $2\"\n"                                                                \
	"\t\techo 'on_poweroff = \"destroy\"'\n"                                                   \
	"\t\techo 'on_reboot = \"destroy\"'\n"                                                     \
	"\t\techo 'on_crash = \"destroy\"'\n"                                                      \
	"\t\techo \"extra = \\\"console=hvc0 quiet${4:+ vb.ip=$4 vb.gw=$5}${root:+ "               \
	"vb.root=xvdb}\\\"\"\n"                                                                    \
	"\t\t[ -n \"$4\" ] && echo \"vif = [ 'bridge=$VB_BRIDGE' ]\"\n"                            \
	"\t\t[ -n \"$disk\" ] && echo \"disk = [ 'phy:$disk,xvda,w'${root:+, 'phy:$root,xvdb,w'} " \
	"]\"\n"                                                                                    \
	"\t} >$VB_STATE/$name.cfg\n"                                                               \
	"\tsay \"xl create $name: $2 vCPU, $3 MiB${disk:+, $disk as xvda}${root:+, root $root as " \
	"xvdb}${4:+, $4}\"\n"                                                                      \
	"\t# Not on fd 6: xl's child that watches the domain would hold the channel.\n"            \
	"\tif ! xl -v create $VB_STATE/$name.cfg >$VB_STATE/xl-$1.log 2>&1 6>&-; then\n"           \
	"\t\ttail -5 $VB_STATE/xl-$1.log\n"                                                        \
	"\t\twhy=\"xl create: $(grep -v '^ *$' $VB_STATE/xl-$1.log | tail -1 | clean)\"\n"         \
	"\t\treturn 1\n"                                                                           \
	"\tfi\n"                                                                                   \
	"\tid=$(xl domid $name) || { why=\"no domain $name after xl create\" && return 1; }\n"     \
	"\techo $id >$VB_STATE/slot$1.domid\n"                                                     \
	"\ttty=\n"                                                                                 \
	"\tfor i in $(seq 100); do\n"                                                              \
	"\t\ttty=$(xenstore-read /local/domain/$id/console/tty 2>/dev/null) && [ -n \"$tty\" ] "   \
	"&& "                                                                                      \
	"break\n"                                                                                  \
	"\t\tsleep 0.1\n"                                                                          \
	"\tdone\n"                                                                                 \
	"\t[ -n \"$tty\" ] || { why=\"domU $id has no console pty\" && return 1; }\n"              \
	"\t$VB_AGENT --relay $port $tty domU$1 6>&- &\n"                                           \
	"\techo $! >$VB_STATE/slot$1.relay\n"                                                      \
	"\tsay \"domU $name is $id, console $tty, relayed to $port\"\n"                            \
	"}\n"                                                                                      \
	"# destroy_slot K GRACE_MS: wait that long for the domU to go (the agent's quit\n"         \
	"# powers it off), then xl destroy; then its relay ends, freeing the port.\n"              \
	"destroy_slot() {\n"                                                                       \
	"\tforced=0\n"                                                                             \
	"\tid=$(cat $VB_STATE/slot$1.domid 2>/dev/null)\n"                                         \
	"\tif [ -n \"$id\" ]; then\n"                                                              \
	"\t\tend=$(($(ms) + $2))\n"                                                                \
	"\t\twhile xenstore-exists /local/domain/$id 2>/dev/null && [ $(ms) -lt $end ]; do\n"      \
	"\t\t\tsleep 0.1\n"                                                                        \
	"\t\tdone\n"                                                                               \
	"\t\tif xenstore-exists /local/domain/$id 2>/dev/null; then\n"                             \
	"\t\t\txl destroy $id >$VB_STATE/xl-$1.log 2>&1 6>&-\n"                                    \
	"\t\t\tforced=1\n"                                                                         \
	"\t\tfi\n"                                                                                 \
	"\tfi\n"                                                                                   \
	"\tpid=$(cat $VB_STATE/slot$1.relay 2>/dev/null)\n"                                        \
	"\t[ -n \"$pid\" ] && kill -9 $pid 2>/dev/null && wait $pid 2>/dev/null\n"                 \
	"\trm -f $VB_STATE/slot$1.domid $VB_STATE/slot$1.relay\n"                                  \
	"\tsay \"domU $(dname $1) ${id:+($id) }gone${id:+, forced=$forced}\"\n"                    \
	"}\n"                                                                                      \
	"while :; do\n"                                                                            \
	"\tif ! IFS=' ' read -r seq verb k a b c d e <&6; then\n"                                  \
	"\t\ton_eof\n"                                                                             \
	"\t\tcontinue\n"                                                                           \
	"\tfi\n"                                                                                   \
	"\tnum \"$seq\" || continue\n"                                                             \
	"\tt0=$(ms)\n"                                                                             \
	"\tcase $verb in\n"                                                                        \
	"\thello)\n"                                                                               \
	"\t\tanswer \"$seq ok up=$t0\" ;;\n"                                                       \
	"\tlist)\n"                                                                                \
	"\t\tl=\n"                                                                                 \
	"\t\tfor s in 0 1 2 3; do\n"                                                               \
	"\t\t\tid=$(xl domid $(dname $s) 2>/dev/null) && l=\"$l dom=$s:$id\"\n"                    \
	"\t\tdone\n"                                                                               \
	"\t\tanswer \"$seq ok$l\" ;;\n"                                                            \
	"\tcreate | destroy | reboot)\n"                                                           \
	"\t\tcase $k in 0 | 1 | 2 | 3) ;; *)\n"                                                    \
	"\t\t\tanswer \"$seq err msg=no slot $(echo \"$k\" | clean)\"\n"                           \
	"\t\t\tcontinue ;;\n"                                                                      \
	"\t\tesac\n"                                                                               \
	"\t\tif [ $verb = create ] && ! { num \"$a\" && num \"$b\"; }; then\n"                     \
	"\t\t\tanswer \"$seq err msg=create needs VCPUS MEM\"\n"                                   \
	"\t\telif [ $verb = destroy ] && ! num \"$a\"; then\n"                                     \
	"\t\t\tanswer \"$seq err msg=destroy needs GRACE_MS\"\n"                                   \
	"\t\telif [ $verb = reboot ] && ! { num \"$a\" && num \"$b\" && num \"$c\"; }; then\n"     \
	"\t\t\tanswer \"$seq err msg=reboot needs GRACE_MS VCPUS MEM\"\n"                          \
	"\t\telif [ $verb = destroy ]; then\n"                                                     \
	"\t\t\tdestroy_slot $k $a\n"                                                               \
	"\t\t\tanswer \"$seq ok ms=$(($(ms) - t0)) forced=$forced\"\n"                             \
	"\t\telif [ $verb = create ] && create_slot $k $a $b $c $d; then\n"                        \
	"\t\t\tanswer \"$seq ok ms=$(($(ms) - t0)) domid=$id\"\n"                                  \
	"\t\telif [ $verb = reboot ] && destroy_slot $k $a && create_slot $k $b $c $d $e; then\n"  \
	"\t\t\tanswer \"$seq ok ms=$(($(ms) - t0)) domid=$id forced=$forced\"\n"                   \
	"\t\telse\n"                                                                               \
	"\t\t\tanswer \"$seq err ms=$(($(ms) - t0)) msg=$(echo \"$why\" | clean)\"\n"              \
	"\t\tfi ;;\n"                                                                              \
	"\tpoweroff)\n"                                                                            \
	"\t\tanswer \"$seq ok\"\n"                                                                 \
	"\t\tfinish ;;\n"                                                                          \
	"\t*)\n"                                                                                   \
	"\t\tanswer \"$seq err msg=unknown request\" ;;\n"                                         \
	"\tesac\n"                                                                                 \
	"done\n"

static const char dom0_init[] =
    "#!/bin/sh\n"
    "# virtbench dom0 init: the Xen toolstack, then (vb.target=domu) the control\n"
    "# loop on the vb.ctl port that creates, destroys and re-creates PV domUs on\n"
    "# the host's request, each with its slot's agent port, relay and disk; or\n"
    "# (vb.target=dom0) the agent in dom0 itself on the vb.agent port.\n"
    "export PATH=/sbin:/bin:/usr/sbin:/usr/bin\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sys /sys\n"
    "mount -t devtmpfs dev /dev\n"
    "mkdir -p /dev/pts /dev/shm\n"
    "# xenconsoled gives each guest console a pty.\n"
    "mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts\n"
    "mount -t tmpfs -o mode=755 run /run\n"
    "exec </dev/null >/dev/hvc0 2>&1\n"
    "say() { echo \"virtbench dom0: [$(cut -d' ' -f1 /proc/uptime)] $*\"; }\n"
    "# Xen powers off with dom0 and -no-reboot ends QEMU: the host sees the end.\n"
    "fail() {\n"
    "\tsay \"FAILED: $*\"\n"
    "\tpoweroff -f\n"
    "\tsleep 3600\n"
    "}\n"
    "target=domu ip= gw=\n"
    "for a in $(cat /proc/cmdline); do\n"
    "\tcase $a in vb.target=*) target=${a#vb.target=} ;; vb.ip=*) ip=${a#vb.ip=} ;;\n"
    "\tvb.gw=*) gw=${a#vb.gw=} ;; esac\n"
    "done\n"
    "say \"init\"\n"
    "for m in /lib/modules/*.ko; do\n"
    "\tinsmod $m || say \"insmod $m failed\"\n"
    "done\n"
    "say \"modules loaded\"\n"
    "# Slot K of the host's: agent port vb.agent (K=0) or vb.agentK, disk scratch or scratchK.\n"
    "ctl=\n"
    "for p in /sys/class/virtio-ports/*; do\n"
    "\tn=$(cat $p/name 2>/dev/null)\n"
    "\tcase $n in\n"
    "\tvb.agent) echo /dev/${p##*/} >/run/slot0.port ;;\n"
    "\tvb.agent[1-3]) echo /dev/${p##*/} >/run/slot${n#vb.agent}.port ;;\n"
    "\tvb.ctl) ctl=/dev/${p##*/} ;;\n"
    "\tesac\n"
    "done\n"
    "[ -e /run/slot0.port ] || fail \"no vb.agent port\"\n"
    "test=\n"
    "for b in /sys/block/vd*; do\n"
    "\ts=$(cat $b/serial 2>/dev/null)\n"
    "\tcase $s in\n"
    "\tvbboot) mount -t ext4 -o ro /dev/${b##*/} /boot || fail \"mounting the boot disk "
    "/dev/${b##*/}\" ;;\n"
    "\tscratch) echo /dev/${b##*/} >/run/slot0.disk ;;\n"
    "\tscratch[1-3]) echo /dev/${b##*/} >/run/slot${s#scratch}.disk ;;\n"
    "\tvbroot) echo /dev/${b##*/} >/run/slot0.root ;;\n"
    "\tvbroot[1-3]) echo /dev/${b##*/} >/run/slot${s#vbroot}.root ;;\n"
    "\tvbtest) test=/dev/${b##*/} ;;\n"
    "\tesac\n"
    "done\n"
    "[ -e /boot/kernel ] || fail \"no boot disk (serial vbboot) with the domU's kernel\"\n"
    "mount -t xenfs xenfs /proc/xen || fail \"mounting xenfs\"\n"
    "mkdir -p /var/lib/xen /var/log/xen /var/lock /run/xen /run/xenstored /var/lib/xenstored\n"
    "ln -s /run /var/run\n"
    "xenstored --pid-file /run/xenstored.pid || fail \"xenstored\"\n"
    "xen-init-dom0 || fail \"xen-init-dom0\"\n"
    "xenconsoled --pid-file=/run/xen/xenconsoled.pid -o keep || fail \"xenconsoled\"\n"
    "say \"toolstack up: $(xl info | grep -E '^(xen_version|free_memory)' | tr -s ' ' | tr '\\n' ' "
    "')\"\n"
    "# w3: eth0 is QEMU's tap on the run's bridge. dom0 itself takes the address,\n"
    "# or bridges eth0 to the domUs' vifs (xenbr0) and each domU takes its own.\n"
    "if [ -e /sys/class/net/eth0 ]; then\n"
    "\tip link set lo up\n"
    "\tif [ $target = dom0 ]; then\n"
    "\t\tip addr add $ip/24 dev eth0 && ip link set eth0 up &&\n"
    "\t\t\tip route add default via $gw || fail \"configuring eth0 ($ip)\"\n"
    "\telse\n"
    "\t\tip link add xenbr0 type bridge && ip link set eth0 master xenbr0 &&\n"
    "\t\t\tip link set eth0 up && ip link set xenbr0 up || fail \"bridging eth0\"\n"
    "\tfi\n"
    "fi\n"
    "if [ $target = dom0 ]; then\n"
    "\t# The agent in dom0 itself, with the toolstack up: the baseline a domU\n"
    "\t# is compared with. Its scratch is the same virtio disk a domU gets.\n"
    "\tport=$(cat /run/slot0.port)\n"
    "\tscratch=$(cat /run/slot0.disk 2>/dev/null)\n"
    "\tmkdir -p /scratch\n"
    "\tif [ -n \"$scratch\" ]; then\n"
    "\t\tmount -t ext4 $scratch /scratch || fail \"mounting the scratch disk $scratch\"\n"
    "\telse\n"
    "\t\tmount -t tmpfs scratch /scratch\n"
    "\tfi\n"
    "\t# A test's hook (VIRTBENCH_XEN_DOM0_TEST): its disk on /test, its run.sh\n"
    "\t# run to its end before the agent starts, the output kept on that disk.\n"
    "\tif [ -n \"$test\" ]; then\n"
    "\t\tmkdir -p /test\n"
    "\t\tmount -t ext4 $test /test || fail \"mounting the test disk $test\"\n"
    "\t\tsay \"running /test/run.sh\"\n"
    "\t\tsh /test/run.sh >/test/run.log 2>&1\n"
    "\t\tsay \"/test/run.sh: exit $?\"\n"
    "\t\tsync\n"
    "\tfi\n"
    "\tsay \"dom0 agent on $port\"\n"
    "\t/boot/virtbench-agent --sync --fd 3 3<>$port >/dev/null 2>&1\n"
    "\tsay \"dom0 agent gone: powering off\"\n"
    "\tumount /scratch\n"
    "\t[ -n \"$test\" ] && umount /test\n"
    "\tpoweroff -f\n"
    "fi\n"
    "[ -n \"$ctl\" ] || fail \"no vb.ctl port\"\n"
    "VB_STATE=/run VB_AGENT=/boot/virtbench-agent VB_KERNEL=/boot/kernel\n"
    "VB_RAMDISK=/boot/domu.cpio VB_BRIDGE=xenbr0\n"
    "# The host is not connected (the port reads nothing): wait for it.\n"
    "on_eof() { sleep 0.2; }\n"
    "finish() {\n"
    "\tsay \"powering off on the host's request\"\n"
    "\tpoweroff -f\n"
    "}\n"
    "exec 6<>$ctl\n"
    "say \"control loop on $ctl\"\n" CTL_LOOP;

/*
 * The same loop run by xen-local on a host that is a Xen dom0 itself, as a
 * child of virtbench with the control channel (a socket pair) on fd 6 and
 * its log on stdout. When virtbench goes (the channel reads end of file) or
 * asks it to power off, it destroys the domUs it made and ends: it never
 * powers anything off.
 */
static const char local_loop[] =
    "export PATH=$PATH:/usr/sbin:/sbin:/usr/bin:/bin\n"
    "# An answer to a host that is gone must not kill the loop before it cleans up.\n"
    "trap '' PIPE\n"
    "say() { echo \"virtbench xl: [$(cut -d' ' -f1 /proc/uptime)] $*\"; }\n"
    "finish() {\n"
    "\tfor k in 0 1 2 3; do\n"
    "\t\t[ -e $VB_STATE/slot$k.domid ] && destroy_slot $k 0\n"
    "\tdone\n"
    "\tsay \"control loop ends\"\n"
    "\texit 0\n"
    "}\n"
    "on_eof() {\n"
    "\tsay \"virtbench is gone\"\n"
    "\tfinish\n"
    "}\n"
    "say \"control loop for $VB_STATE\"\n" CTL_LOOP;

static const char hotplug_vif[] =
    "#!/bin/sh\n"
    "# libxl's vif hotplug script, for busybox: the domU's vif onto the bridge\n"
    "# xenstore names (xenbr0), up, and connected.\n"
    "exec >>/var/log/xen/hotplug.log 2>&1\n"
    "br=$(xenstore-read \"$XENBUS_PATH/bridge\" 2>/dev/null || echo xenbr0)\n"
    "case $1 in\n"
    "online|add)\n"
    "\tip link set \"$vif\" master \"$br\" && ip link set \"$vif\" up || exit 1\n"
    "\txenstore-write \"$XENBUS_PATH/hotplug-status\" connected\n"
    "\techo \"vif-bridge: $vif on $br\" ;;\n"
    "offline|remove)\n"
    "\tip link set \"$vif\" nomaster 2>/dev/null ;;\n"
    "esac\n"
    "exit 0\n";

static const char hotplug_block[] =
    "#!/bin/sh\n"
    "# libxl's block hotplug script, for busybox (Debian's is bash). libxl runs\n"
    "# it with add or remove and XENBUS_PATH=backend/vbd/<domid>/<devid>;\n"
    "# blkback waits for physical-device (major:minor in hex).\n"
    "exec >>/var/log/xen/hotplug.log 2>&1\n"
    "case $1 in\n"
    "add)\n"
    "\tp=$(xenstore-read \"$XENBUS_PATH/params\") || exit 1\n"
    "\tdev=$p\n"
    "\t# libxl runs the scripts of a domain's disks at once: two may find the\n"
    "\t# same free loop device, and the one that loses it tries the next.\n"
    "\tif [ -f \"$p\" ]; then\n"
    "\t\tfor i in $(seq 50); do\n"
    "\t\t\tdev=$(losetup -f) && losetup \"$dev\" \"$p\" && break\n"
    "\t\t\tdev=\n"
    "\t\t\tsleep 0.1\n"
    "\t\tdone\n"
    "\t\t[ -n \"$dev\" ] || exit 1\n"
    "\tfi\n"
    "\tmm=$(stat -L -c '%t:%T' \"$dev\") || exit 1\n"
    "\txenstore-write \"$XENBUS_PATH/physical-device\" \"$mm\" "
    "\"$XENBUS_PATH/physical-device-path\" \"$dev\"\n"
    "\txenstore-write \"$XENBUS_PATH/hotplug-status\" connected\n"
    "\techo \"block: $p -> $dev ($mm)\"\n"
    "\t;;\n"
    "remove)\n"
    "\tdev=$(xenstore-read \"$XENBUS_PATH/physical-device-path\" 2>/dev/null)\n"
    "\tcase $dev in /dev/loop*) losetup -d \"$dev\" ;; esac\n"
    "\t;;\n"
    "esac\n"
    "exit 0\n";

static const char domu_init[] =
    "#!/bin/sh\n"
    "# virtbench domU init: drivers, /scratch, then the agent on the PV console.\n"
    "export PATH=/sbin:/bin\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sys /sys\n"
    "mount -t devtmpfs dev /dev\n"
    "exec </dev/null >/dev/hvc0 2>&1\n"
    "# The agent's protocol shares hvc0 with this log: no echo, no CR/LF translation.\n"
    "stty -F /dev/hvc0 raw -echo\n"
    "for m in /lib/modules/*.ko; do\n"
    "\tinsmod $m || echo \"virtbench domU: insmod $m failed\"\n"
    "done\n"
    "# The scratch disk (ext4; dom0's phy: backend) when there is one, else memory.\n"
    "for i in $(seq 30); do\n"
    "\tif [ -b /dev/xvda ] || [ ! -e /sys/bus/xen/devices/vbd-51712 ]; then break; fi\n"
    "\tsleep 0.1\n"
    "done\n"
    "if [ -b /dev/xvda ] && mount -t ext4 /dev/xvda /scratch; then\n"
    "\techo 'virtbench domU: /scratch is ext4 on /dev/xvda'\n"
    "else\n"
    "\tmount -t tmpfs -o mode=1777 scratch /scratch\n"
    "\techo 'virtbench domU: /scratch is a tmpfs (no disk)'\n"
    "fi\n"
    "# w3: eth0 (netfront, bridged in dom0 to the run's bridge) from vb.ip/vb.gw;\n"
    "# vb.root=xvdb: the run's Debian root, this slot's copy of its ext4 disk.\n"
    "for a in $(cat /proc/cmdline); do\n"
    "\tcase $a in vb.ip=*) ip=${a#vb.ip=} ;; vb.gw=*) gw=${a#vb.gw=} ;;\n"
    "\tvb.root=*) root=${a#vb.root=} ;; esac\n"
    "done\n"
    "if [ -n \"$root\" ]; then\n"
    "\tfor i in $(seq 50); do [ -b /dev/$root ] && break; sleep 0.1; done\n"
    "\tmkdir -p /newroot\n"
    "\t[ -b /dev/$root ] && mount -t ext4 /dev/$root /newroot ||\n"
    "\t\t{ echo \"virtbench domU: cannot mount the root disk /dev/$root\"; poweroff -f; }\n"
    "\techo \"virtbench domU: the root is ext4 on /dev/$root\"\n"
    "fi\n"
    "ip link set lo up\n"
    "if [ -n \"$ip\" ]; then\n"
    "\tfor i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done\n"
    "\tip addr add $ip/24 dev eth0 && ip link set eth0 up && ip route add default via $gw &&\n"
    "\t\techo \"virtbench domU: eth0 is $ip\" || echo \"virtbench domU: eth0 failed\"\n"
    "fi\n"
    "# From here hvc0 carries only the protocol: loglevel 0 silences every printk\n"
    "# but a panic's (the sysctl takes 0; dmesg -n stops at 1, KERN_EMERG).\n"
    "echo 0 >/proc/sys/kernel/printk\n"
    "export OPENBLAS_NUM_THREADS=1\n"
    "if [ -z \"$root\" ]; then\n"
    "\t# dom0's cue to switch its relay over to the agent.\n"
    "\techo VBREADY\n"
    "\t# Not exec: as PID 1 the agent's exit would be a panic, whose text would\n"
    "\t# reach the channel. poweroff -f ends the domain cleanly.\n"
    "\t/sbin/virtbench-agent --sync --fd 3 3<>/dev/hvc0 >/dev/null 2>&1\n"
    "\tpoweroff -f\n"
    "fi\n"
    "# Into the root: the mounts move along; the root's own shell says what it is\n"
    "# (dom0's relay logs it, VBREADY comes after) and stays PID 1 while the agent\n"
    "# runs. The root has no busybox poweroff: sysrq's o powers the domain off.\n"
    "for m in /scratch /proc /sys /dev; do mount -o move $m /newroot$m; done\n"
    "exec switch_root /newroot /bin/sh -c 'echo \"virtbench domU: in the root: \"\\\n"
    "$(. /etc/os-release; echo $ID) $(cat /etc/debian_version); echo VBREADY\n"
    "/sbin/virtbench-agent --sync --fd 3 3<>/dev/hvc0 >/dev/null 2>&1\n"
    "echo o >/proc/sysrq-trigger; while :; do sleep 1; done'\n";

void vb_xen_release(struct vb_xen *x)
{
	free(x->version);
	free(x->hypervisor);
	free(x->kernel);
	free(x->kernel_version);
	free(x->dom0_initrd);
	free(x->boot_disk);
	memset(x, 0, sizeof(*x));
}

char *vb_xen_missing_tools(void)
{
	static const struct {
		const char *tool, *package;
	} tools[] = {
		{ "apt-get", "apt" },	      { "dpkg-deb", "dpkg" }, { "xz", "xz-utils" },
		{ "mkfs.ext4", "e2fsprogs" }, { "ldd", "libc-bin" },  { "env", "coreutils" },
	};
	char *list = NULL;
	for (size_t i = 0; i < VB_ARRAY_SIZE(tools); i++) {
		_cleanup_free_ char *path = vb_proc_which(tools[i].tool);
		if (path)
			continue;
		char *more = xasprintf("%s%s%s (%s)", list ? list : "", list ? ", " : "",
				       tools[i].tool, tools[i].package);
		free(list);
		list = more;
	}
	return list;
}

/* FNV-1a, for cache keys. */
static uint64_t fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull; /* a separator: "ab","c" is not "a","bc" */
}

static uint64_t fnv_list(uint64_t h, const char *const list[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = fnv(h, list[i]);
	return h;
}

/*
 * The key of what the domU boots from: the kernel (version, file identity,
 * modules), the domU's init and modules, the agent and busybox (identities);
 * what names the artifact leads.
 */
static uint64_t domu_key(const char *what, const struct vb_kernel *k, const char *idk,
			 const char *ida, const char *idb)
{
	uint64_t h = fnv(1469598103934665603ull, what);
	h = fnv(h, k->version);
	h = fnv(h, idk);
	h = fnv(h, k->modules ? k->modules : "");
	h = fnv(h, domu_init);
	h = fnv_list(h, domu_modules, VB_ARRAY_SIZE(domu_modules));
	h = fnv(h, ida);
	return fnv(h, idb);
}

/* Debian versions are [0-9A-Za-z.+~:-]; a path or QEMU's -initrd list must not see more. */
static bool version_ok(const char *v)
{
	if (!*v || strlen(v) > 100)
		return false;
	for (; *v; v++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~-",
			    *v))
			return false;
	return true;
}

/* gunzip src into dst (zlib: the hypervisor ships as xen-*.gz). */
static int gunzip(const char *src, const char *dst, struct vb_error **err)
{
	gzFile in = gzopen(src, "rb");
	if (!in)
		return vb_error_errno(err, errno ? errno : EIO, "opening %s", src);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r = out < 0 ? -errno : 0;
	char buf[65536];
	while (!r) {
		int n = gzread(in, buf, sizeof(buf));
		if (n < 0)
			r = -EIO;
		if (n <= 0)
			break;
		r = vb_write_all(out, buf, (size_t)n);
	}
	gzclose(in);
	if (r)
		return vb_error_errno(err, -r, "gunzip %s into %s", src, dst);
	return 0;
}

/* A version directory that is complete: the hypervisor and xl are there. */
static bool xen_dir_ok(const char *dir)
{
	_cleanup_free_ char *hyp = xasprintf("%s/xen", dir);
	_cleanup_free_ char *xl = xasprintf("%s/root/" XEN_BIN "/xl", dir);
	return access(hyp, R_OK) == 0 && access(xl, X_OK) == 0;
}

/*
 * The unpacked packages: the newest complete <cache>/xen/<version>, else
 * fetched now (in a temporary directory renamed into place, so a crash
 * never leaves half of it).
 */
static int xen_packages(char **dir, char **version, struct vb_error **err)
{
	int cr = vb_cache_dir_check(err);
	if (cr)
		return cr;
	_cleanup_free_ char *base = xasprintf("%s/xen", vb_cache_dir());
	DIR *d = opendir(base);
	struct dirent *e;
	char *best = NULL;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !version_ok(e->d_name))
			continue;
		_cleanup_free_ char *full = xasprintf("%s/%s", base, e->d_name);
		if (xen_dir_ok(full) && (!best || strverscmp(e->d_name, best) > 0)) {
			free(best);
			best = xstrdup(e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (best) {
		*dir = xasprintf("%s/%s", base, best);
		*version = best;
		return 0;
	}

	int r = vb_mkdir_p(base, 0755);
	if (r)
		return vb_error_errno(err, -r, "creating %s", base);
	_cleanup_free_ char *tmp = xasprintf("%s/.fetch-%ld", base, (long)getpid());
	_cleanup_free_ char *debs = xasprintf("%s/debs", tmp);
	_cleanup_free_ char *v = xasprintf("%s/v", tmp);
	_cleanup_free_ char *root = xasprintf("%s/v/root", tmp);
	vb_rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0 || mkdir(debs, 0755) < 0 || mkdir(v, 0755) < 0)
		return vb_error_errno(err, errno, "creating %s", tmp);
	r = vb_deb_download(packages, VB_ARRAY_SIZE(packages), debs, err);
	_cleanup_free_ char *hyp = r ? NULL : vb_deb_find(debs, "xen-hypervisor-");
	if (!r && !hyp)
		r = vb_error_set(err, -ENOENT, "apt-get download left no xen-hypervisor package");
	char ver[128] = "";
	if (!r)
		r = vb_deb_field(hyp, "Version", ver, sizeof(ver), err);
	if (!r && !version_ok(ver))
		r = vb_error_set(err, -EINVAL, "the Xen package's version '%s' is not usable", ver);
	d = r ? NULL : opendir(debs);
	while (d && !r && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".deb"))
			continue;
		_cleanup_free_ char *deb = xasprintf("%s/%s", debs, e->d_name);
		r = vb_deb_unpack(deb, root, err);
	}
	if (d)
		closedir(d);
	if (!r) {
		_cleanup_free_ char *gz = xasprintf("%s/boot/xen-" VB_XEN_SERIES "-amd64.gz", root);
		_cleanup_free_ char *out = xasprintf("%s/xen", v);
		r = gunzip(gz, out, err);
	}
	_cleanup_free_ char *final = xasprintf("%s/%s", base, ver);
	if (!r && !xen_dir_ok(v))
		r = vb_error_set(err, -ENOENT, "the Xen packages have no %s/xl", XEN_BIN);
	if (!r && rename(v, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = vb_error_errno(err, errno, "moving the Xen packages into %s", final);
	vb_rm_rf(tmp);
	if (r)
		return vb_error_wrap(err, "getting Debian's Xen " VB_XEN_SERIES " packages");
	*dir = steal_ptr(&final);
	*version = xstrdup(ver);
	return 0;
}

/* busybox and a link for each of its applets in bin/. */
static int add_busybox(struct vb_cpio *c, const char *busybox, struct vb_error **err)
{
	int r = vb_cpio_file(c, "bin/busybox", busybox, 0755);
	if (r)
		return vb_error_errno(err, -r, "initramfs: adding %s", busybox);
	char *argv[] = { (char *)busybox, "--list", NULL };
	_cleanup_free_ char *list = NULL;
	int st;
	r = vb_proc_run(argv, 10000, 1 << 16, &list, &st, err);
	if (!r && (!WIFEXITED(st) || WEXITSTATUS(st)))
		r = vb_error_set(err, -EIO, "%s --list failed", busybox);
	if (r)
		return r;
	char *save = NULL;
	for (char *a = strtok_r(list, "\n", &save); a; a = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(a, "busybox") || strchr(a, '/'))
			continue;
		_cleanup_free_ char *name = xasprintf("bin/%s", a);
		vb_cpio_symlink(c, name, "busybox");
	}
	return 0;
}

/* A list of owned strings. */
struct strlist {
	char **v;
	size_t n;
};

static bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static void strlist_add(struct strlist *l, const char *s)
{
	if (strlist_has(l, s))
		return;
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

static void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * The shared objects bin loads, as the host's ldd resolves them with the
 * unpacked Xen libraries first on the path: added to libs. The host's own
 * (libc, the loader, zlib...) come from the host, Debian 12 as the packages.
 */
static int needed_libs(const char *bin, const char *root, struct strlist *libs,
		       struct vb_error **err)
{
	_cleanup_free_ char *env = vb_proc_which("env");
	_cleanup_free_ char *ldd = vb_proc_which("ldd");
	if (!env || !ldd)
		return vb_error_set(err, -ENOENT, "ldd is not installed (libc-bin)");
	_cleanup_free_ char *lp = xasprintf("LD_LIBRARY_PATH=%s/usr/lib/x86_64-linux-gnu", root);
	char *argv[] = { env, lp, ldd, (char *)bin, NULL };
	_cleanup_free_ char *out = NULL;
	int st;
	int r = vb_proc_run(argv, 30000, 1 << 16, &out, &st, err);
	if (!r && (!WIFEXITED(st) || WEXITSTATUS(st)))
		r = vb_error_set(err, -EIO, "ldd %s failed: %.200s", bin, out);
	if (r)
		return r;
	char *save = NULL;
	for (char *l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(l, "=> ");
		char *path = arrow ? arrow + 3 : l + strspn(l, " \t");
		if (!strncmp(path, "not found", 9))
			return vb_error_set(err, -ENOENT, "ldd %s: %s", bin, l + strspn(l, " \t"));
		if (*path != '/')
			continue; /* linux-vdso.so.1 */
		char *end = strstr(path, " (");
		if (end)
			*end = '\0';
		strlist_add(libs, path);
	}
	return 0;
}

/* A library where the loader looks: /lib64 for the loader itself, else the multiarch dir. */
static char *lib_name(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	if (!strncmp(path, "/lib64/", 7))
		return xasprintf("lib64/%s", base);
	return xasprintf("lib/x86_64-linux-gnu/%s", base);
}

static int build_dom0(const char *out, const char *root, const struct vb_kernel *k,
		      const char *busybox, struct vb_error **err)
{
	static const char *const dirs[] = { "bin", "sbin", "proc", "sys",  "dev",    "run",
					    "etc", "var",  "boot", "root", "usr/bin" };
	struct vb_cpio c;
	int r = vb_cpio_open(&c, out);
	if (r)
		return vb_error_errno(err, -r, "initramfs: creating %s", out);
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs); i++)
		vb_cpio_dir(&c, dirs[i]);
	vb_cpio_data(&c, "tmp", S_IFDIR | 01777, NULL, 0);
	r = add_busybox(&c, busybox, err);
	struct strlist libs = { 0 };
	for (size_t i = 0; !r && i < VB_ARRAY_SIZE(toolstack); i++) {
		_cleanup_free_ char *src = xasprintf("%s/" XEN_BIN "/%s", root, toolstack[i]);
		_cleanup_free_ char *name = xasprintf(XEN_BIN "/%s", toolstack[i]);
		_cleanup_free_ char *link = xasprintf("sbin/%s", toolstack[i]);
		_cleanup_free_ char *target = xasprintf("/" XEN_BIN "/%s", toolstack[i]);
		if ((r = vb_cpio_file(&c, name, src, 0755)))
			r = vb_error_errno(err, -r, "initramfs: adding %s", src);
		else
			r = needed_libs(src, root, &libs, err);
		vb_cpio_symlink(&c, link, target);
	}
	for (size_t i = 0; !r && i < VB_ARRAY_SIZE(xenstore_tools); i++) {
		_cleanup_free_ char *src = xasprintf("%s/usr/bin/%s", root, xenstore_tools[i]);
		_cleanup_free_ char *name = xasprintf("usr/bin/%s", xenstore_tools[i]);
		if ((r = vb_cpio_file(&c, name, src, 0755)))
			r = vb_error_errno(err, -r, "initramfs: adding %s", src);
		else
			r = needed_libs(src, root, &libs, err);
	}
	/*
	 * The host's mke2fs as mkfs.ext4: xen-local makes its domUs' disks with it,
	 * when a test runs virtbench in this dom0.
	 */
	_cleanup_free_ char *mke2fs = r ? NULL : vb_proc_which("mke2fs");
	if (!r && !mke2fs)
		r = vb_error_set(err, -ENOENT, "mke2fs is not installed (e2fsprogs)");
	if (!r && (r = vb_cpio_file(&c, "sbin/mke2fs", mke2fs, 0755)))
		r = vb_error_errno(err, -r, "initramfs: adding %s", mke2fs);
	if (!r) {
		vb_cpio_symlink(&c, "sbin/mkfs.ext4", "mke2fs");
		r = needed_libs(mke2fs, root, &libs, err);
	}
	/* glibc loads libgcc_s at run time (pthread_cancel's unwinding); xl needs it. */
	static const char *const gcc_s[] = { "/lib/x86_64-linux-gnu/libgcc_s.so.1",
					     "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1" };
	for (size_t i = 0; !r && i < VB_ARRAY_SIZE(gcc_s); i++)
		if (access(gcc_s[i], R_OK) == 0) {
			strlist_add(&libs, gcc_s[i]);
			break;
		}
	for (size_t i = 0; !r && i < libs.n; i++) {
		_cleanup_free_ char *name = lib_name(libs.v[i]);
		if ((r = vb_cpio_file(&c, name, libs.v[i], 0755)))
			r = vb_error_errno(err, -r, "initramfs: adding %s", libs.v[i]);
	}
	strlist_release(&libs);
	if (!r) {
		_cleanup_free_ char *conf = xasprintf("%s/etc/xen/xl.conf", root);
		if ((r = vb_cpio_file(&c, "etc/xen/xl.conf", conf, 0644)))
			r = vb_error_errno(err, -r, "initramfs: adding %s", conf);
	}
	if (!r) {
		vb_cpio_data(&c, "etc/xen/scripts/block", S_IFREG | 0755, hotplug_block,
			     strlen(hotplug_block));
		vb_cpio_data(&c, "etc/xen/scripts/vif-bridge", S_IFREG | 0755, hotplug_vif,
			     strlen(hotplug_vif));
		if ((r = vb_cpio_modules(&c, k->modules, dom0_modules,
					 VB_ARRAY_SIZE(dom0_modules))))
			r = vb_error_errno(err, -r, "initramfs: adding dom0's modules");
	}
	if (!r)
		vb_cpio_data(&c, "init", S_IFREG | 0755, dom0_init, strlen(dom0_init));
	int cr = vb_cpio_close(&c);
	if (!r && cr)
		r = vb_error_errno(err, -cr, "initramfs: writing %s", out);
	return r;
}

static int build_domu(const char *out, const struct vb_kernel *k, const char *agent,
		      const char *busybox, struct vb_error **err)
{
	static const char *const dirs[] = { "bin", "sbin", "proc", "sys",
					    "dev", "etc",  "root", "scratch" };
	struct vb_cpio c;
	int r = vb_cpio_open(&c, out);
	if (r)
		return vb_error_errno(err, -r, "initramfs: creating %s", out);
	for (size_t i = 0; i < VB_ARRAY_SIZE(dirs); i++)
		vb_cpio_dir(&c, dirs[i]);
	vb_cpio_data(&c, "tmp", S_IFDIR | 01777, NULL, 0);
	r = add_busybox(&c, busybox, err);
	if (!r && (r = vb_cpio_file(&c, "sbin/virtbench-agent", agent, 0755)))
		r = vb_error_errno(err, -r, "initramfs: adding %s", agent);
	if (!r && (r = vb_cpio_modules(&c, k->modules, domu_modules, VB_ARRAY_SIZE(domu_modules))))
		r = vb_error_errno(err, -r, "initramfs: adding the domU's modules");
	if (!r)
		vb_cpio_data(&c, "init", S_IFREG | 0755, domu_init, strlen(domu_init));
	int cr = vb_cpio_close(&c);
	if (!r && cr)
		r = vb_error_errno(err, -cr, "initramfs: writing %s", out);
	return r;
}

/* dst as a hard link to src (same filesystem: the cache), else a copy. */
static int link_or_copy(const char *src, const char *dst)
{
	if (link(src, dst) == 0)
		return 0;
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (in < 0 || out < 0)
		return -errno;
	return vb_copy_fd(in, out);
}

static off_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : 0;
}

/*
 * The read-only boot disk: the domU's kernel and initramfs in an ext4
 * image that dom0 mounts on /boot (mkfs.ext4 -d fills it from a directory).
 */
static int build_boot(const char *out, const char *vmlinux, const struct vb_kernel *k,
		      const char *agent, const char *busybox, struct vb_error **err)
{
	_cleanup_free_ char *dir = xasprintf("%s.d", out);
	_cleanup_free_ char *kernel = xasprintf("%s/kernel", dir);
	_cleanup_free_ char *cpio = xasprintf("%s/domu.cpio", dir);
	_cleanup_free_ char *dom0_agent = xasprintf("%s/virtbench-agent", dir);
	vb_rm_rf(dir);
	if (mkdir(dir, 0755) < 0)
		return vb_error_errno(err, errno, "creating %s", dir);
	int r = link_or_copy(vmlinux, kernel);
	if (r)
		r = vb_error_errno(err, -r, "copying %s into %s", vmlinux, dir);
	/* The agent for the dom0 baseline (xen-dom0) runs from the boot disk. */
	if (!r && (r = link_or_copy(agent, dom0_agent)))
		r = vb_error_errno(err, -r, "copying %s into %s", agent, dir);
	if (!r && chmod(dom0_agent, 0755) < 0)
		r = vb_error_errno(err, errno, "chmod %s", dom0_agent);
	if (!r)
		r = build_domu(cpio, k, agent, busybox, err);
	if (!r) {
		/* The files, plus room for ext4's own metadata and journal. */
		unsigned long long kib = (unsigned long long)(file_size(kernel) + file_size(cpio) +
							      file_size(dom0_agent)) /
					     1024 * 21 / 20 +
					 16384;
		char size[32];
		snprintf(size, sizeof(size), "%lluk", kib);
		char *argv[] = { "mkfs.ext4", "-q", "-F", "-m",	       "0",  "-L",
				 "vbboot",    "-d", dir,  (char *)out, size, NULL };
		r = vb_deb_tool(argv, "/", NULL, 0, err);
		if (r)
			r = vb_error_wrap(err, "building the boot disk %s (e2fsprogs >= 1.43?)",
					  out);
	}
	vb_rm_rf(dir);
	return r;
}

/* A file built as tmp goes into place as path (a crash never leaves half of one there). */
static int publish(int r, const char *tmp, const char *path, struct vb_error **err)
{
	if (!r && rename(tmp, path) < 0)
		r = vb_error_errno(err, errno, "renaming %s", tmp);
	unlink(tmp);
	return r;
}

int vb_xen_get(const char *agent_path, const char *kernel, const char *kernel_modules,
	       struct vb_xen *out, struct vb_error **err)
{
	memset(out, 0, sizeof(*out));
	const char *busybox = vb_busybox_path();
	char ida[32], idb[32];
	int r = vb_static_inputs(agent_path, ida, sizeof(ida), idb, sizeof(idb), err);
	if (r)
		return r;
	struct vb_kernel k;
	r = vb_kernel_get(kernel, kernel_modules, &k, err);
	if (r)
		return r;
	_cleanup_free_ char *dir = NULL, *root = NULL;
	r = xen_packages(&dir, &out->version, err);
	if (!r) {
		root = xasprintf("%s/root", dir);
		out->hypervisor = xasprintf("%s/xen", dir);
		out->kernel_version = xstrdup(k.version);
		r = vb_kernel_vmlinux(&k, &out->kernel, err);
	}
	char idk[32] = "";
	if (!r && vb_file_identity(out->kernel, idk, sizeof(idk)))
		r = vb_error_errno(err, errno, "reading %s", out->kernel);
	if (!r) {
		/* Keyed by every input; a custom kernel's modules by their directory. */
		uint64_t h = fnv(1469598103934665603ull, "dom0 2 (+ mke2fs)");
		h = fnv(h, k.version);
		h = fnv(h, idk);
		h = fnv(h, k.modules ? k.modules : "");
		h = fnv(h, out->version);
		h = fnv(h, dom0_init);
		h = fnv(h, hotplug_block);
		h = fnv(h, hotplug_vif);
		h = fnv_list(h, dom0_modules, VB_ARRAY_SIZE(dom0_modules));
		h = fnv_list(h, toolstack, VB_ARRAY_SIZE(toolstack));
		h = fnv_list(h, xenstore_tools, VB_ARRAY_SIZE(xenstore_tools));
		h = fnv(h, idb);
		out->dom0_initrd =
		    xasprintf("%s/dom0-%s-%016llx.cpio", dir, k.version, (unsigned long long)h);
		if (access(out->dom0_initrd, R_OK)) {
			_cleanup_free_ char *tmp =
			    xasprintf("%s.tmp.%ld", out->dom0_initrd, (long)getpid());
			r = publish(build_dom0(tmp, root, &k, busybox, err), tmp, out->dom0_initrd,
				    err);
		}
	}
	if (!r) {
		uint64_t h = domu_key("boot 2 (+ the dom0 agent)", &k, idk, ida, idb);
		out->boot_disk =
		    xasprintf("%s/boot-%s-%016llx.img", dir, k.version, (unsigned long long)h);
		if (access(out->boot_disk, R_OK)) {
			_cleanup_free_ char *tmp =
			    xasprintf("%s.tmp.%ld", out->boot_disk, (long)getpid());
			r = publish(build_boot(tmp, out->kernel, &k, agent_path, busybox, err), tmp,
				    out->boot_disk, err);
		}
	}
	vb_kernel_release(&k);
	if (r) {
		vb_xen_release(out);
		return r;
	}
	return 0;
}

const char *vb_xen_local_loop(void)
{
	return local_loop;
}

int vb_xen_domu_files(const char *agent_path, const char *guest_kernel,
		      const char *guest_kernel_modules, char **kernel, char **initrd,
		      char **version, struct vb_error **err)
{
	const char *given = getenv("VIRTBENCH_XEN_DOMU");
	if (given && *given) {
		_cleanup_free_ char *k = xasprintf("%s/kernel", given);
		_cleanup_free_ char *i = xasprintf("%s/domu.cpio", given);
		if (access(k, R_OK) || access(i, R_OK))
			return vb_error_errno(err, errno,
					      "VIRTBENCH_XEN_DOMU=%s: no readable kernel and "
					      "domu.cpio there",
					      given);
		*kernel = steal_ptr(&k);
		*initrd = steal_ptr(&i);
		*version = xstrdup("given (VIRTBENCH_XEN_DOMU)");
		return 0;
	}
	const char *busybox = vb_busybox_path();
	char ida[32], idb[32], idk[32];
	int r = vb_static_inputs(agent_path, ida, sizeof(ida), idb, sizeof(idb), err);
	if (r)
		return r;
	struct vb_kernel k;
	r = vb_kernel_get(guest_kernel, guest_kernel_modules, &k, err);
	if (r)
		return r;
	_cleanup_free_ char *vmlinux = NULL, *out = NULL;
	r = vb_kernel_vmlinux(&k, &vmlinux, err);
	if (!r && vb_file_identity(vmlinux, idk, sizeof(idk)))
		r = vb_error_errno(err, errno, "reading %s", vmlinux);
	if (!r)
		r = vb_cache_dir_check(err);
	_cleanup_free_ char *base = xasprintf("%s/xen", vb_cache_dir());
	if (!r && (r = vb_mkdir_p(base, 0755)))
		r = vb_error_errno(err, -r, "creating %s", base);
	if (!r) {
		/* The boot disk's domU initramfs, keyed the same way. */
		uint64_t h = domu_key("domu 1", &k, idk, ida, idb);
		out = xasprintf("%s/domu-%s-%016llx.cpio", base, k.version, (unsigned long long)h);
		if (access(out, R_OK)) {
			_cleanup_free_ char *tmp = xasprintf("%s.tmp.%ld", out, (long)getpid());
			r = publish(build_domu(tmp, &k, agent_path, busybox, err), tmp, out, err);
		}
	}
	if (!r) {
		*kernel = steal_ptr(&vmlinux);
		*initrd = steal_ptr(&out);
		*version = xstrdup(k.version);
	}
	vb_kernel_release(&k);
	return r;
}
