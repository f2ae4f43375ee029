/*
 * Cortex-M boot for the MPS2 under qemu: the vector table the core reads
 * at reset (initial SP, then handlers), .data copied from its load image,
 * .bss zeroed, main(), and its return value as the semihosting exit code.
 */
#include <stdint.h>

#include "board.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];

int main(void);
void reset_handler(void);
void systick_handler(void);

/*
 * A BKPT 0xAB with no debugger (qemu without -semihosting-config, a board
 * without a probe) faults: such a semihosting call returns -1 instead, so
 * the board falls back to its defaults. Any other fault is reported with
 * the faulting PC. frame: the exception's stacked r0-r3, r12, lr, pc, xpsr.
 */
__attribute__((used)) static void fault(uint32_t *frame)
{
	uint32_t pc = frame[6];
	if ((pc & 1) == 0 && *(volatile uint16_t *)pc == 0xbeab) {
		frame[0] = 0xffffffffu;
		frame[6] = pc + 2;
		return;
	}
	board_puts("\r\nfault at pc ");
	board_put_hex(pc, 8);
	board_puts("\r\n");
	board_exit(98); /* without a debugger this faults again: the core locks up */
}

__attribute__((naked)) static void fault_handler(void)
{
	__asm__ volatile("tst lr, #4\n\t"
			 "ite eq\n\t"
			 "mrseq r0, msp\n\t"
			 "mrsne r0, psp\n\t"
			 "b fault\n\t");
}

void reset_handler(void)
{
	uint32_t *d = __data_start, *s = __data_load;
	while (d < __data_end)
		*d++ = *s++;
	for (d = __bss_start; d < __bss_end;)
		*d++ = 0;
	board_exit(main());
}

/* 16 system exceptions and the AN385/AN386's 32 interrupts (none is
 * enabled: the board polls). Object and function pointers mix here, as
 * the hardware's table does. */
__attribute__((section(".vectors"), used)) static void *const vectors[16 + 32] = {
	[0] = __stack_top,
	[1] = (void *)reset_handler,
	[2 ... 14] = (void *)fault_handler, /* NMI, faults, SVC, PendSV */
	[15] = (void *)systick_handler,
	[16 ... 47] = (void *)fault_handler,
};
