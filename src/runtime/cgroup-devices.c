/* SPDX-License-Identifier: MIT */
/*
 * The cgroup v2 device allow-list as a BPF program, assembled here by hand
 * from the kernel's uapi instruction set: a dozen instructions per rule
 * set are not worth libbpf (a static link of it and of libelf) — crun
 * builds its program the same way.
 */
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"
#include "runtime/cgroup-devices.h"

const struct vb_dev_rule vb_cgroup_dev_rules[] = {
	{ 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 },
	{ 'c', 1, 9 }, { 'c', 5, 0 }, { 'c', 5, 2 }, { 'c', 136, -1 },
};
const size_t vb_cgroup_ndev_rules = VB_ARRAY_SIZE(vb_cgroup_dev_rules);

#define INSN(c, d, s, o, i)                                                                        \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_W | BPF_MEM, dst, src, off, 0)
#define AND32_IMM(dst, imm) INSN(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/*
 * r1 is struct bpf_cgroup_dev_ctx: access_type (the device type in its low
 * 16 bits, the access in its high ones), major, minor. Each rule is a
 * block that returns 1 (allow) when type, major and minor match and jumps
 * past itself otherwise; after the last, 0 (refuse).
 */
static size_t assemble(struct bpf_insn *p)
{
	size_t n = 0;
	p[n++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
	p[n++] = AND32_IMM(BPF_REG_2, 0xffff);
	p[n++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
	p[n++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));
	for (size_t i = 0; i < vb_cgroup_ndev_rules; i++) {
		const struct vb_dev_rule *r = &vb_cgroup_dev_rules[i];
		int type = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		short rest = r->minor < 0 ? 3 : 4; /* instructions after the first jump */
		p[n++] = JNE_IMM(BPF_REG_2, type, rest);
		p[n++] = JNE_IMM(BPF_REG_4, (int)r->major, (short)(rest - 1));
		if (r->minor >= 0)
			p[n++] = JNE_IMM(BPF_REG_5, (int)r->minor, 2);
		p[n++] = MOV64_IMM(BPF_REG_0, 1);
		p[n++] = EXIT();
	}
	p[n++] = MOV64_IMM(BPF_REG_0, 0);
	p[n++] = EXIT();
	return n;
}

/* The program's descriptor; on failure the verifier's log (if it said anything) in log. */
static int load(char *log, size_t size)
{
	struct bpf_insn prog[4 + 5 * VB_ARRAY_SIZE(vb_cgroup_dev_rules) + 2];
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)assemble(prog);
	a.license = (uint64_t)(uintptr_t) "MIT"; /* no GPL-only helper is called */
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd >= 0 || errno != EACCES)
		return fd;
	/* Refused by the verifier: once more, for its reason. */
	int e = errno;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)size;
	a.log_level = 1;
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	errno = fd < 0 ? e : errno;
	return fd;
}

int vb_cgroup_devices_attach(int dirfd, struct vb_error **err)
{
	char log[1024] = "";
	int fd = load(log, sizeof(log));
	if (fd < 0) {
		int e = errno;
		log[sizeof(log) - 1] = '\0';
		return vb_error_errno(err, e, "loading the device program (BPF_PROG_LOAD)%s%.300s",
				      *log ? ": " : "", log);
	}
	union bpf_attr at;
	memset(&at, 0, sizeof(at));
	at.target_fd = (uint32_t)dirfd;
	at.attach_bpf_fd = (uint32_t)fd;
	at.attach_type = BPF_CGROUP_DEVICE;
	at.attach_flags = BPF_F_ALLOW_MULTI;
	int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &at, sizeof(at));
	int e = errno;
	close(fd);
	if (r < 0)
		return vb_error_errno(err, e, "attaching the device program (BPF_PROG_ATTACH)");
	return 0;
}
