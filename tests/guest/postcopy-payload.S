/*
 * The guest that tests/guest/qemu-postcopy.c migrates: a multiboot image
 * that QEMU's -kernel starts in 32-bit protected mode with paging off.
 *
 * At start it fills the read-only region [RO_START, RO_END) once, with
 * a ^ RO_SEED at each 32-bit word at address a.  Then it runs passes
 * c = 1, 2, ... forever; pass c
 *   1. stores a ^ (c * RW_MUL) at each word of [RW_START, RW_END), in
 *      increasing address order, so that every page keeps getting dirty;
 *   2. reads the read-only region back and, at the first word that is
 *      wrong, stores its address at BAD_ADDR (once);
 *   3. stores c at PASS_ADDR.
 *
 * Stopped at any point after its first pass, RAM holds pass c + 1 below
 * some address of the read-write region and pass c from there up, with c
 * at PASS_ADDR, the read-only region intact and 0 at BAD_ADDR.  The
 * numbers are shared with qemu-postcopy.c.
 *
 * Built with: gcc -m32 -c, ld -m elf_i386 -N -Ttext 0x100000.
 */
#include "postcopy-payload.h"

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000000

	.text
	.code32
	.globl	_start
	.align	4
multiboot_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)

_start:
	cli
	movl	$0, PASS_ADDR
	movl	$0, BAD_ADDR
	movl	$RO_START, %edi
fill:
	movl	%edi, %eax
	xorl	$RO_SEED, %eax
	movl	%eax, (%edi)
	addl	$4, %edi
	cmpl	$RO_END, %edi
	jb	fill

	xorl	%edx, %edx		/* c * RW_MUL of the pass */
pass:
	addl	$RW_MUL, %edx
	movl	$RW_START, %edi
write:
	movl	%edi, %eax
	xorl	%edx, %eax
	movl	%eax, (%edi)
	addl	$4, %edi
	cmpl	$RW_END, %edi
	jb	write

	movl	$RO_START, %edi
verify:
	movl	%edi, %eax
	xorl	$RO_SEED, %eax
	cmpl	%eax, (%edi)
	jne	bad
next:
	addl	$4, %edi
	cmpl	$RO_END, %edi
	jb	verify
	incl	PASS_ADDR
	jmp	pass

bad:
	cmpl	$0, BAD_ADDR
	jne	next
	movl	%edi, BAD_ADDR
	jmp	next
