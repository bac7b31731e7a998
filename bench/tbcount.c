// SPDX-License-Identifier: GPL-2.0
/*
 * tbcount: a QEMU TCG plugin for `make profile`.  It counts the guest
 * instructions executed from each translation block's start address and,
 * when QEMU exits, writes one line "ADDRESS COUNT" (hex, decimal) per
 * address that ran.  Arguments: out=FILE (default tbcount.out).
 *
 * A translation block ends at every branch, so the instructions counted at
 * an address belong to the function that holds it.  The count of a block
 * is added when it starts: a block left early (a fault, an interrupt)
 * still counts whole, and a repeated string instruction counts once per
 * repetition, as QEMU's -icount does.
 *
 * The few declarations of QEMU's plugin API (version 1, QEMU 4.2 to 7.2)
 * are written out here, so that no QEMU development package is needed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
struct qemu_info_t;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *data);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					    tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					       enum qemu_plugin_op op,
					       void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb,
				    void *data);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/*
 * Open addressing, keyed by address + 1 so that 0 marks a free slot.  The
 * table never shrinks and is sized for any kernel and benchmark: a boot
 * translates a few hundred thousand distinct blocks.
 */
#define SLOTS	(1u << 22)

struct slot {
	uint64_t key;
	uint64_t insns;
};

static struct slot *slots;
static unsigned int used;
/* Blocks first seen once the table is 3/4 full: counted at address 0. */
static struct slot overflow;
static const char *out_path = "tbcount.out";

static struct slot *slot_of(uint64_t addr)
{
	uint64_t key = addr + 1;
	uint64_t i = (key * 0x9e3779b97f4a7c15ull) >> 42;

	for (;; i = (i + 1) & (SLOTS - 1)) {
		if (slots[i].key == key)
			return &slots[i];
		if (!slots[i].key) {
			if (used >= SLOTS / 4 * 3)
				return &overflow;
			used++;
			slots[i].key = key;
			return &slots[i];
		}
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct slot *s = slot_of(qemu_plugin_tb_vaddr(tb));

	/* QEMU runs the vCPUs of -icount one at a time: no atomics needed. */
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &s->insns,
						 qemu_plugin_tb_n_insns(tb));
}

static void on_qemu_exit(qemu_plugin_id_t id, void *data)
{
	FILE *f = fopen(out_path, "w");
	unsigned int i;

	if (!f) {
		perror(out_path);
		return;
	}
	if (overflow.insns)
		fprintf(f, "0 %llu\n", (unsigned long long)overflow.insns);
	for (i = 0; i < SLOTS; i++)
		if (slots[i].key && slots[i].insns)
			fprintf(f, "%llx %llu\n",
				(unsigned long long)(slots[i].key - 1),
				(unsigned long long)slots[i].insns);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const struct qemu_info_t *info,
			int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4)) {
			out_path = argv[i] + 4;
		} else {
			fprintf(stderr, "tbcount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	slots = calloc(SLOTS, sizeof(*slots));
	if (!slots)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
	return 0;
}
