# The MPS2 (AN385/AN386, qemu) firmware: lwIP, the LAN9118 netif, the board
# and nettest. Standalone, from the repository's root:
#   make -f examples/firmware/mps2/build.mk [OUT=build/mps2] [CPU=cortex-m4]
ROOT := $(patsubst %/examples/firmware/mps2/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
OUT ?= $(ROOT)/build/mps2
CPU ?= cortex-m4
LWIPDIR ?= $(ROOT)/.deps/lwip-2.2.1/src
CROSS ?= arm-none-eabi-
CC := $(CROSS)gcc
SIZE := $(CROSS)size

include $(LWIPDIR)/Filelists.mk

BOARD := $(ROOT)/examples/firmware/mps2
ARCH := -mcpu=$(CPU) -mthumb
CFLAGS := $(ARCH) -std=c99 -Os -g -ffunction-sections -fdata-sections -ffreestanding \
	-I$(ROOT)/port/lwip -I$(LWIPDIR)/include -I$(ROOT)/port -I$(ROOT)/core -I$(BOARD)
OURS := -Wall -Wextra -Werror
LDFLAGS := $(ARCH) -nostartfiles -Wl,--gc-sections -Wl,-T,$(BOARD)/mps2.ld
LIBS := -Wl,--start-group -lc -lgcc -Wl,--end-group

LWIP_SRCS := $(COREFILES) $(CORE4FILES) $(LWIPDIR)/netif/ethernet.c
LWIP_OBJS := $(patsubst $(LWIPDIR)/%.c,$(OUT)/lwip/%.o,$(LWIP_SRCS))
BOARD_OBJS := $(OUT)/startup.o $(OUT)/board.o $(OUT)/lan9118.o

all: $(OUT)/nettest.elf

$(OUT)/lwip/%.o: $(LWIPDIR)/%.c $(ROOT)/port/lwip/lwipopts.h $(ROOT)/port/lwip/arch/cc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -w -c -o $@ $<

$(OUT)/lan9118.o: $(ROOT)/port/lwip/lan9118.c $(ROOT)/port/lwip/lan9118.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(OURS) -c -o $@ $<

$(OUT)/%.o: $(BOARD)/%.c $(BOARD)/board.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(OURS) -c -o $@ $<

$(OUT)/nettest.elf: $(OUT)/nettest.o $(BOARD_OBJS) $(LWIP_OBJS) $(BOARD)/mps2.ld
	$(CC) $(LDFLAGS) -Wl,-Map,$(OUT)/nettest.map -o $@ $(filter %.o,$^) $(LIBS)
	$(SIZE) $@

clean:
	rm -rf $(OUT)

.PHONY: all clean

# ---- wrsh's image -----------------------------------------------------------
# WRSH_B: a library build of the top-level Makefile for this CPU (PORT=lwip),
# WRSH_OBJS and WRSH_LIBS its objects and bundled expat and mbedTLS
# (scripts/firmware.sh passes them); ARENA: app.c's static arena, STACK the
# main stack, bytes.
ARENA ?= 65536
STACK ?= 16384
WRSH_CFLAGS = $(CFLAGS) -DWRSH_HAVE_AUTOCONF -I$(WRSH_B) -I$(ROOT)/tls \
	-I$(ROOT)/examples/firmware -DFW_ARENA_SIZE=$(ARENA)
APP_OBJS := $(OUT)/main.o $(OUT)/app.o $(OUT)/lwip_port.o
# The freestanding bar as a link failure, not a convention: every reference
# to these is renamed to __wrap_NAME, which nothing defines.
FORBID := malloc free calloc realloc _malloc_r _free_r _calloc_r _realloc_r \
	printf fprintf sprintf snprintf vprintf vfprintf vsprintf vsnprintf puts fputs putchar \
	getenv _getenv_r fopen fclose fread fwrite fseek fflush open close read write \
	_open_r _read_r _write_r _close_r _sbrk _sbrk_r sbrk abort exit _exit time gettimeofday
NO_LIBC := $(foreach f,$(FORBID),-Wl,--wrap=$(f))

$(OUT)/main.o: $(BOARD)/main.c $(BOARD)/board.h $(ROOT)/examples/firmware/app.h
	@mkdir -p $(dir $@)
	$(CC) $(WRSH_CFLAGS) $(OURS) -c -o $@ $<

$(OUT)/app.o: $(ROOT)/examples/firmware/app.c $(ROOT)/examples/firmware/app.h $(WRSH_B)/wrsh_autoconf.h
	@mkdir -p $(dir $@)
	$(CC) $(WRSH_CFLAGS) $(OURS) -c -o $@ $<

$(OUT)/lwip_port.o: $(ROOT)/port/lwip/lwip_port.c $(ROOT)/port/lwip/lwip_port.h
	@mkdir -p $(dir $@)
	$(CC) $(WRSH_CFLAGS) $(OURS) -c -o $@ $<

$(OUT)/wrsh.elf: $(APP_OBJS) $(BOARD_OBJS) $(LWIP_OBJS) $(WRSH_OBJS) $(WRSH_LIBS) $(BOARD)/mps2.ld
	$(CC) $(LDFLAGS) $(NO_LIBC) -Wl,--defsym=__stack_size=$(STACK) -Wl,-Map,$(OUT)/wrsh.map \
		-o $@ $(APP_OBJS) $(BOARD_OBJS) \
		$(LWIP_OBJS) $(WRSH_OBJS) -Wl,--start-group $(WRSH_LIBS) -lc -lgcc -Wl,--end-group
	$(SIZE) $@
