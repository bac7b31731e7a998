/* The memory layout of postcopy-payload.S, shared with qemu-postcopy.c. */
#define PASS_ADDR	0x00000500	/* the number of passes done */
#define BAD_ADDR	0x00000504	/* first wrong read-only word, or 0 */
#define RW_START	0x00200000	/* rewritten by every pass */
#define RW_END		0x01200000
#define RO_START	0x01200000	/* written once, read by every pass */
#define RO_END		0x02200000
#define RW_MUL		0x9e3779b9
#define RO_SEED		0x5a5aa5a5
