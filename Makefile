# wrsh: a small-footprint WinRM client.
#
#   make                 build build/<variant>/wrsh, libwrsh.a and the firmware example
#   make demo            install what is missing, build, run wrsh against the test endpoint
#   make check           install what is missing, run every test (what CI runs)
#   make test            unit, replay, endpoint and CLI tests of the current variant
#   make static          static x86-64 builds: glibc and musl
#   make cross ARCH=a    static cross build + unit tests under qemu (armhf aarch64 mipsel mips)
#   make size            stripped static sizes per profile and architecture
#   make freestanding-check  the library for Cortex-M (newlib, no OS): no heap, stdio, clock or exit
#   make firmware        the Cortex-M4 images, build/mps2-{tiny,full}/wrsh.elf (make qemu-check runs them)
#   make lwip-check      the firmware model over lwIP on a tap in a network namespace (root)
#   make fuzz            every fuzz target for FUZZ_TIME seconds each
#   make fuzz-long       every fuzz target to 10 million executions or an hour
#   make bench           CPU and memory of wrsh beside python3-winrm and Go winrm
#   make bench-xfer      put/get of MIB=256 MiB beside Ansible's put_file/fetch_file
#   make bench-fanout    echo hi on 100 hosts: wrsh -H @FILE beside ansible -m raw (winrm)
#   make install         PREFIX=/usr/local DESTDIR= (make uninstall: the same files)
#   make menuconfig | defconfig | olddefconfig | savedefconfig
#
# Variants: ARCH=host|armhf|aarch64|mipsel|mips, LIBC=glibc|musl, STATIC=1,
# SAN=asan|tsan, PROFILE=full|tiny (configs/<profile>_defconfig; without PROFILE a
# top-level .config from menuconfig wins, else full), DEFCONFIG=FILE (any
# profile file), SYSTEM_LIBS=1 (link the distribution's mbedTLS and expat
# instead of the ones built from .deps/).

WRSH_VERSION := 0.1.0
export WRSH_VERSION
PY := /usr/bin/python3
SHELL := /bin/bash
# V=1 shows whole command lines
Q := $(if $(filter 1,$(V)),,@)
# quiet under `make -s` too, so `make -s print-B` prints the value alone even
# when it first regenerates a variant's .config
say = $(if $(or $(filter 1,$(V)),$(findstring s,$(firstword -$(MAKEFLAGS)))),,@printf '  %-7s %s\n' $(1) $(2);)

ARCH ?= host
LIBC ?= glibc
SAN ?=
SYSTEM_LIBS ?= 0
PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_TIME ?= 60
# the platform whose port/$(PORT)/port_config.h configures expat and mbedTLS;
# from the command line only (PORT in the environment is often a TCP port)
PORT := posix

ifeq ($(ARCH),host)
  CROSS :=
  QEMU :=
else ifeq ($(ARCH),armhf)
  CROSS := arm-linux-gnueabihf-
  QEMU := qemu-arm-static
else ifeq ($(ARCH),aarch64)
  CROSS := aarch64-linux-gnu-
  QEMU := qemu-aarch64-static
else ifeq ($(ARCH),mipsel)
  CROSS := mipsel-linux-gnu-
  QEMU := qemu-mipsel-static
else ifeq ($(ARCH),mips)
  CROSS := mips-linux-gnu-
  QEMU := qemu-mips-static
else
  $(error unknown ARCH=$(ARCH))
endif

ifeq ($(LIBC),musl)
  ifeq ($(ARCH),host)
    CC := musl-gcc
  else
    # Debian has no cross musl without multiarch: built from source once
    CC := $(CURDIR)/.deps/musl-$(ARCH)/bin/musl-gcc
    MUSL_STAMP := .deps/musl-$(ARCH)/.built
  endif
  STATIC := 1
else ifneq ($(CROSS),)
  CC := $(CROSS)gcc
  STATIC := 1
endif
STATIC ?= 0
CC ?= gcc
AR := $(CROSS)ar
STRIP := $(CROSS)strip
ifeq ($(CC),cc)
  CC := gcc
endif

ifneq ($(DEFCONFIG),)
  # any defconfig file (scripts/feature-size.sh builds throwaway ones)
  CONFIG_SRC := $(DEFCONFIG)
  PROFILE_NAME := $(basename $(notdir $(DEFCONFIG)))
else ifneq ($(PROFILE),)
  CONFIG_SRC := configs/$(PROFILE)_defconfig
  PROFILE_NAME := $(PROFILE)
else ifneq ($(wildcard .config),)
  CONFIG_SRC := .config
  PROFILE_NAME := config
else
  CONFIG_SRC := configs/full_defconfig
  PROFILE_NAME := full
endif

VARIANT := $(ARCH)-$(LIBC)$(if $(findstring clang,$(CC)),-clang)$(if $(filter 1,$(STATIC)),-static)$(if $(SAN),-$(SAN))$(if $(filter 1,$(SYSTEM_LIBS)),-syslibs)$(if $(filter-out posix,$(PORT)),-$(PORT))-$(PROFILE_NAME)
B := build/$(VARIANT)

# ---- configuration -----------------------------------------------------
APPLET_SRC := $(sort $(wildcard examples/cli/applets/*.c))
KCONFIG_FILES := Kconfig $(wildcard */Kconfig */*/Kconfig) build/Kconfig.applets

# the script rewrites its outputs only when they change, so nothing that
# includes applets.h recompiles for nothing; the stamp records the run
build/.applets.stamp: $(APPLET_SRC) scripts/applets.py
	@mkdir -p build
	$(call say,GEN,build/applets.h)$(PY) scripts/applets.py build/Kconfig.applets build/applets.h $(APPLET_SRC)
	@touch $@
build/Kconfig.applets build/applets.h: build/.applets.stamp

$(B)/.config: $(CONFIG_SRC) $(KCONFIG_FILES)
	@mkdir -p $(B)
	$(call say,CONFIG,$@)$(PY) scripts/kconfig.py defconfig Kconfig $(CONFIG_SRC) $@

$(B)/wrsh_autoconf.h: $(B)/.config scripts/kconfig.py
	$(call say,GEN,$@)KCONFIG_CONFIG=$< $(PY) scripts/kconfig.py header Kconfig $@

-include $(B)/.config

# ---- flags ---------------------------------------------------------------
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith
OPT := -Os -g -ffunction-sections -fdata-sections -fno-unwind-tables -fno-asynchronous-unwind-tables
ifeq ($(SAN),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN := -fsanitize=address,undefined
endif
# ThreadSanitizer (clang): the library, expat and mbedTLS all instrumented
ifeq ($(SAN),tsan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=thread
  LDSAN := -fsanitize=thread
endif
CSTD := -std=c99
INC := -Icore -Iport -Iport/$(PORT) -Itls -Iexamples/cli -I$(B) -Ibuild
DEFS := -DWRSH_HAVE_AUTOCONF
# Static builds are for appliances and routers, whose kernels use 4 KB
# pages: aligning segments to 64 KB (the aarch64 and mips default) pads the
# file by up to 60 KB (tiny aarch64: 263,936 bytes, 210,688 with 4 KB). A
# kernel of 64 KB pages (some aarch64 servers) takes the dynamic build.
STATIC_LDFLAGS := -static -Wl,-z,max-page-size=4096
LDFLAGS_ALL := -Wl,--gc-sections $(LDSAN) $(if $(filter 1,$(STATIC)),$(STATIC_LDFLAGS))

MBEDTLS_DIR := .deps/mbedtls-3.6.6
EXPAT_DIR := .deps/expat-2.5.0/expat/lib

ifeq ($(SYSTEM_LIBS),1)
  DEP_INC :=
  DEP_DEFS := -DWRSH_SYSTEM_MBEDTLS
  DEP_LIBS := $(if $(filter y,$(CONFIG_WRSH_TLS)),-lmbedtls -lmbedx509) -lmbedcrypto -lexpat
  DEP_STAMP :=
else
  DEP_INC := -I$(EXPAT_DIR) -I$(MBEDTLS_DIR)/include
  # the mbedTLS features a Kconfig symbol brings (wrsh_mbedtls_config.h):
  # its objects and ours must see the same structures
  TLS_DEFS = $(if $(filter y,$(CONFIG_WRSH_TLS_RESUME)),-DWRSH_TLS_RESUME)
  DEP_DEFS = -DMBEDTLS_CONFIG_FILE='"wrsh_mbedtls_config.h"' $(TLS_DEFS)
  # mbedTLS in every build: MD5 for NTLM; without TLS only md5.o is linked
  DEP_LIBS := $(B)/deps/libexpat.a $(B)/deps/libmbedtls.a
  DEP_STAMP := .deps/.fetched
endif

CFLAGS_ALL := $(CSTD) $(OPT) $(WARN) $(INC) $(DEFS) $(DEP_INC) $(DEP_DEFS) $(CFLAGS)

# libwrsh.a and the bundled libraries as one group: mbedTLS's PSA calls back
# into tls/ for its random source, whatever pulled PSA in
LINK_LIBS = -Wl,--start-group $(B)/libwrsh.a $(DEP_LIBS) -Wl,--end-group

# ---- sources ---------------------------------------------------------------
# PSRP's parsers are always there (a binary links them only when used);
# the pool, which the session calls, only with CONFIG_WRSH_PSRP
CORE_SRC := $(wildcard core/base/*.c core/util/*.c core/crypto/*.c core/auth/*.c core/wsman/*.c \
	core/winrs/*.c core/cim/*.c) \
	$(filter-out $(if $(filter y,$(CONFIG_WRSH_PSRP)),,core/psrp/pool.c core/psrp/input.c),\
		$(wildcard core/psrp/*.c)) \
	$(if $(filter y,$(CONFIG_WRSH_XFER)),$(wildcard core/xfer/*.c))
TLS_SRC := $(if $(filter y,$(CONFIG_WRSH_TLS)),tls/mbedtls.c tls/resume.c tls/p256.c,tls/none.c)
# port/proxy.c: an HTTP proxy as a port over any port (port/proxy.h);
# port/dns.c: DNS SRV messages, which port/posix/resolv.c carries
PORT_SRC := port/posix/posix.c port/posix/slot.c port/posix/resolv.c port/dns.c port/proxy.c
LIB_SRC := $(CORE_SRC) $(TLS_SRC) $(PORT_SRC)
# busybox style: an applet is built when its CONFIG_WRSH_APPLET_<NAME> is y
applet_on = $(filter y,$(CONFIG_WRSH_APPLET_$(shell echo $(basename $(notdir $(1))) | tr a-z A-Z)))
CLI_PS_SRC := $(if $(filter y,$(CONFIG_WRSH_PSRP)),examples/cli/json.c examples/cli/pipeline.c examples/cli/prompt.c examples/cli/view.c examples/cli/lineedit.c)
CLI_SRC := examples/cli/main.c examples/cli/conn.c examples/cli/private.c $(CLI_PS_SRC) \
	$(if $(filter y,$(CONFIG_WRSH_CLI_FANOUT)),examples/cli/fanout.c) \
	$(if $(filter y,$(CONFIG_WRSH_CLI_PROXY)),examples/cli/proxy.c) \
	$(if $(filter y,$(CONFIG_WRSH_AUTH_KERBEROS)),examples/cli/krb5conf.c) \
	$(if $(filter y,$(CONFIG_WRSH_XFER)),examples/cli/transfer.c) \
	$(if $(filter y,$(CONFIG_WRSH_APPLET_CIM)),examples/cli/cim_print.c) \
	$(if $(filter y,$(CONFIG_WRSH_APPLET_MASTER)),examples/cli/park.c) $(foreach f,$(APPLET_SRC),$(if $(call applet_on,$(f)),$(f)))
# the firmware model (examples/firmware) on Linux: lwIP in the process, over a tap
FW_SRC := examples/firmware/app.c examples/firmware/board_tap.c port/lwip/lwip_port.c
LWIP_DIR := .deps/lwip-2.2.1/src
LWIP_SRC := $(addprefix $(LWIP_DIR)/,core/init.c core/def.c core/dns.c core/inet_chksum.c \
	core/ip.c core/mem.c core/memp.c core/netif.c core/pbuf.c core/raw.c core/stats.c \
	core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c \
	core/ipv4/ip4_frag.c netif/ethernet.c)
LWIP_INC := -Iport/lwip -I$(LWIP_DIR)/include

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

$(B)/obj/%.o: %.c $(B)/wrsh_autoconf.h build/applets.h | $(DEP_STAMP) $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(OBJ_FLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

$(DEP_STAMP):
	scripts/deps.sh
	@touch $@

.deps/musl-%/.built: | $(DEP_STAMP)
	scripts/musl-cross.sh $*

# third-party code: its own warnings are not ours to fix

# without TLS only core/crypto's primitives are taken from mbedTLS: NTLM's
# MD5, Kerberos' AES and SHA-1, a transfer's SHA-256 (linked only where
# something calls them)
MBEDTLS_SRC = $(if $(filter y,$(CONFIG_WRSH_TLS)),$(wildcard $(MBEDTLS_DIR)/library/*.c),\
	$(addprefix $(MBEDTLS_DIR)/library/,md5.c sha1.c sha256.c aes.c aesni.c aesce.c platform.c \
	platform_util.c))
EXPAT_SRC := $(addprefix $(EXPAT_DIR)/,xmlparse.c xmlrole.c xmltok.c)
DEPS_CFLAGS = $(CSTD) $(OPT) -w -Icore/expat -Itls -Iport/$(PORT) -I$(MBEDTLS_DIR)/include -I$(EXPAT_DIR) \
	-DMBEDTLS_CONFIG_FILE='"wrsh_mbedtls_config.h"' $(TLS_DEFS) $(if $(filter 1,$(STATIC)),,-fPIC)

$(B)/deps/%.o: .deps/%.c tls/wrsh_mbedtls_config.h core/expat/expat_config.h port/$(PORT)/port_config.h | $(DEP_STAMP) $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(DEPS_CFLAGS) $(OBJ_FLAGS) -c $< -o $@

# xmlparse.c through core/expat/xmlparse_wrsh.c: the C library calls wrsh
# never makes through it stay out of the image (the file says which and why)
EXPAT_OBJ := $(patsubst .deps/%.c,$(B)/deps/%.o,$(filter-out %/xmlparse.c,$(EXPAT_SRC))) \
	$(B)/deps/xmlparse_wrsh.o
$(B)/deps/xmlparse_wrsh.o: core/expat/xmlparse_wrsh.c $(EXPAT_DIR)/xmlparse.c core/expat/expat_config.h \
		port/$(PORT)/port_config.h | $(DEP_STAMP) $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(DEPS_CFLAGS) $(OBJ_FLAGS) -c $< -o $@

# the sources come with the fetch: named as its products, a parallel make
# from a fresh clone waits for it instead of archiving objects never built
$(EXPAT_SRC): | $(DEP_STAMP) ;
$(EXPAT_OBJ): $(B)/.config
$(EXPAT_OBJ): OBJ_FLAGS := $(if $(filter y,$(CONFIG_WRSH_XML_MIN_SIZE)),-DXML_MIN_SIZE)

$(B)/deps/libexpat.a: $(EXPAT_OBJ) core/expat/expat_config.h
	$(call say,AR,$@)rm -f $@; $(AR) rcs $@ $(filter %.o,$^)

$(patsubst .deps/%.c,$(B)/deps/%.o,$(MBEDTLS_SRC)): $(B)/.config
$(B)/deps/libmbedtls.a: $(DEP_STAMP) $(MUSL_STAMP) tls/wrsh_mbedtls_config.h port/$(PORT)/port_config.h Makefile $(B)/.config
	@mkdir -p $(B)/deps
	$(Q)$(MAKE) -s --no-print-directory $(patsubst .deps/%.c,$(B)/deps/%.o,$(MBEDTLS_SRC))
	$(call say,AR,$@)rm -f $@; $(AR) rcs $@ $(patsubst .deps/%.c,$(B)/deps/%.o,$(MBEDTLS_SRC))

# NTLM sealing's RC4 is the one loop where -O2 pays for its bytes (core/crypto/rc4.c
# says why); expat, base64, MD5 and AES-GCM measured no faster at -O2.
ifneq ($(SAN),asan)
$(call obj,core/crypto/rc4.c): OBJ_FLAGS := -O2
# P-256's field: -Os leaves its 4x4 limb products as loops (610 instructions
# a multiplication, 170 at -O2), the one cost of a handshake's key exchange
$(call obj,tls/p256.c): OBJ_FLAGS := -O2 -funroll-loops
# mbedTLS's AES-NI as intrinsics, not its inline assembly, which GHASH wraps in
# C loops byte-reversing each block (290 instructions a block at -Os, 50 so;
# 16 % of an HTTPS stream's CPU, was 36 %). aes.c must see the same choice
# (-maes -mpclmul select it in aesni.h): with it, it aligns the round keys
# the intrinsics load (clang's unit tests crashed in aesni_setkey_enc_128
# without). Compilers never emit AES-NI or PCLMULQDQ on their own, so in
# aes.c the flags change nothing else; aesni.c's SSSE3 (its byte shuffles)
# runs only on its cpuid-checked paths, and no CPU with AES-NI lacks SSSE3.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
$(B)/deps/mbedtls-3.6.6/library/aes.o: OBJ_FLAGS := -maes -mpclmul
$(B)/deps/mbedtls-3.6.6/library/aesni.o: OBJ_FLAGS := -O2 -maes -mpclmul -mssse3
endif
endif

# ---- products --------------------------------------------------------------
$(B)/libwrsh.a: $(call obj,$(LIB_SRC))
	$(call say,AR,$@)rm -f $@; $(AR) rcs $@ $^

$(B)/wrsh: $(call obj,$(CLI_SRC)) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -Wl,-Map=$@.map -o $@ $(call obj,$(CLI_SRC)) $(LINK_LIBS) $(LDFLAGS)

LWIP_OBJ := $(patsubst .deps/%.c,$(B)/deps/%.o,$(LWIP_SRC))
$(LWIP_SRC): | $(DEP_STAMP) ;
$(LWIP_OBJ): OBJ_FLAGS := $(LWIP_INC)
$(LWIP_OBJ): port/lwip/lwipopts.h port/lwip/arch/cc.h
$(call obj,$(FW_SRC)): OBJ_FLAGS := $(LWIP_INC) -Iexamples/firmware
$(B)/deps/liblwip.a: $(LWIP_OBJ) port/lwip/lwipopts.h port/lwip/arch/cc.h
	$(call say,AR,$@)rm -f $@; $(AR) rcs $@ $(filter %.o,$^)

$(B)/fw-tap: $(call obj,$(FW_SRC)) $(B)/libwrsh.a $(B)/deps/liblwip.a $(filter %.a,$(DEP_LIBS))
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -o $@ $(call obj,$(FW_SRC)) $(B)/deps/liblwip.a $(LINK_LIBS) $(LDFLAGS)

all: $(B)/wrsh $(B)/libwrsh.a $(B)/fw-tap
.DEFAULT_GOAL := all

# ---- tests -----------------------------------------------------------------
UNIT_SRC := tests/harness.c tests/vectors.c $(wildcard tests/unit/*.c) port/mock/mock.c
REPLAY_SRC := tests/replay/replay.c
TEST_INC := -Itests -Iport/mock

$(B)/obj/tests/%.o: tests/%.c $(B)/wrsh_autoconf.h build/applets.h | $(DEP_STAMP) $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) $(TEST_INC) -DWRSH_TESTING -Wno-missing-prototypes -MMD -MP -c $< -o $@

# The arena with the test-only mem_fail_after hook (WRSH_TESTING): linked
# into the unit tests ahead of libwrsh.a, whose own mem.o, the one that
# ships, has neither the hook nor its check in every allocation.
MEM_TEST_OBJ := $(B)/obj/tests/core-mem-testing.o
$(MEM_TEST_OBJ): core/base/mem.c $(B)/wrsh_autoconf.h | $(DEP_STAMP) $(MUSL_STAMP)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS_ALL) -DWRSH_TESTING -MMD -MP -c $< -o $@

$(B)/tests/unit: $(call obj,$(UNIT_SRC)) $(MEM_TEST_OBJ) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -o $@ $(call obj,$(UNIT_SRC)) $(MEM_TEST_OBJ) $(LINK_LIBS)

$(B)/tests/replay: $(call obj,$(REPLAY_SRC)) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -o $@ $(call obj,$(REPLAY_SRC)) $(LINK_LIBS)

VALGRIND := valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=all -q

# fault_test.c cuts every FAULT_STRIDE-th byte (and every boundary): fixed
# per build, so coverage does not depend on the machine's load
FAULT_STRIDE ?= $(if $(QEMU),16,$(if $(filter asan,$(SAN)),4,2))

test-unit: $(B)/tests/unit $(B)/tests/replay
	WRSH_FAULT_STRIDE=$(FAULT_STRIDE) $(QEMU) $(B)/tests/unit
	$(PY) tests/replay/check.py --driver "$(QEMU) $(B)/tests/replay"

# every byte of every exchange cut (minutes, not in `make check`)
test-exhaustive:
	$(MAKE) --no-print-directory test-unit FAULT_STRIDE=1

test-valgrind: $(B)/tests/unit $(B)/tests/replay
	WRSH_FAULT_STRIDE=32 $(VALGRIND) $(B)/tests/unit
	$(PY) tests/replay/check.py --driver "$(VALGRIND) $(B)/tests/replay"

# several sessions in several threads at once (tests/threads/threads.c)
THREADS_SRC := tests/threads/threads.c port/mock/mock.c
$(B)/tests/threads: $(call obj,$(THREADS_SRC)) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -pthread -o $@ $(call obj,$(THREADS_SRC)) \
		$(LINK_LIBS)

test-threads: $(B)/tests/threads
	$(if $(filter tsan,$(SAN)),TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tests/threads/tsan.supp") $(QEMU) $(B)/tests/threads

# the threaded test under ThreadSanitizer: a race anywhere fails it
test-tsan:
	$(MAKE) --no-print-directory CC=clang SAN=tsan test-threads

# core/, tls/ and the bundled libraries for a freestanding target, nothing
# of the port's; scripts/freestanding.sh builds them for Cortex-M (newlib,
# no OS) and fails on any libc import outside its allowlist
FREE_OBJ = $(call obj,$(CORE_SRC) $(TLS_SRC))
freestanding-objs: $(FREE_OBJ) $(filter %.a,$(DEP_LIBS))

freestanding-check:
	scripts/freestanding.sh

# the Cortex-M4 images (examples/firmware/mps2: tiny and full), then each
# under qemu-system-arm's MPS2-AN386 against the endpoint
firmware:
	scripts/firmware.sh

qemu-check: firmware
	examples/firmware/mps2/nettest.sh
	$(PY) tests/lwip/test_qemu.py

# every stack frame of the library within 1 KB (scripts/stack.sh, -fstack-usage)
check-stack:
	scripts/stack.sh full
	scripts/stack.sh tiny

# no writable data or bss in core/ and tls/ objects (scripts/state-check.sh)
check-state: $(B)/libwrsh.a
	OBJDUMP=$(CROSS)objdump NM=$(CROSS)nm scripts/state-check.sh $(B)

test-endpoint:
	$(PY) -m unittest discover -s tests/endpoint -p 'test_*.py'

# every tests/cli/test_*.py, test_ps_real.py too: wrsh ps/shell against real
# PowerShell (~/.dotnet/tools/pwsh or $WRSH_PWSH; skipped without it, unless CI=true)
test-cli: $(B)/wrsh
	WRSH=$(B)/wrsh WRSH_VARIANT=$(VARIANT) $(PY) -m unittest discover -s tests/cli -p 'test_*.py'

# put and get against real PowerShell only (test-cli runs them too): for
# the sanitizer pass, which runs the rest against the endpoint's imitation
test-xfer: $(B)/wrsh
	WRSH=$(B)/wrsh WRSH_VARIANT=$(VARIANT) $(PY) -m unittest discover -s tests/cli -p 'test_xfer.py'

# certificate verification: wrsh's verdicts against openssl verify's, chain by chain
test-tls: $(B)/wrsh
	WRSH=$(B)/wrsh $(PY) -m unittest discover -s tests/tls -p 'test_*.py'

# a hostile server: every attack ends in one clear error, bounded in time and memory
test-hostile: $(B)/wrsh
	WRSH=$(B)/wrsh WRSH_VARIANT=$(VARIANT) $(PY) -m unittest discover -s tests/hostile -p 'test_*.py'

# the firmware model over lwIP (port/lwip, NO_SYS) in this process, its
# link a tap in a network namespace of its own (root): cmd, ps, cim, TLS,
# timeouts, a link cut
lwip-check: $(B)/fw-tap
	$(PY) tests/lwip/test_lwip.py $(B)

$(B)/tests/ntlm_tool: $(call obj,tests/interop/ntlm_tool.c) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -o $@ $(call obj,tests/interop/ntlm_tool.c) $(LINK_LIBS)

$(B)/tests/krb5_tool: $(call obj,tests/interop/krb5_tool.c) $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) $(OPT) $(LDFLAGS_ALL) -o $@ $(call obj,tests/interop/krb5_tool.c) $(LINK_LIBS)

# NTLM bytes against gss-ntlmssp and impacket; Kerberos' AS exchange against
# MIT's KDC
test-interop: $(B)/tests/ntlm_tool $(B)/tests/krb5_tool
	$(PY) tests/interop/ntlm_gss.py $(QEMU) $(B)/tests/ntlm_tool
	$(PY) tests/interop/krb5_kdc.py $(QEMU) $(B)/tests/krb5_tool

test: test-unit test-threads test-interop test-endpoint test-cli test-tls test-hostile lwip-check

# ---- the two README commands -------------------------------------------------
demo:
	scripts/bootstrap.sh demo
	$(MAKE) --no-print-directory all
	scripts/demo.sh $(B)/wrsh

check:
	scripts/bootstrap.sh check
	scripts/check.sh

# ---- variants ------------------------------------------------------------------
static:
	$(MAKE) --no-print-directory STATIC=1 all
	$(MAKE) --no-print-directory LIBC=musl all

cross:
	$(MAKE) --no-print-directory ARCH=$(ARCH) all test-unit

size:
	scripts/size.sh

# busybox's pair: `make baseline` keeps this build's binary as $(B)/wrsh_old;
# after a change `make bloatcheck` shows what grew or shrank, symbol by symbol
baseline: $(B)/wrsh
	cp $(B)/wrsh $(B)/wrsh_old

bloatcheck: $(B)/wrsh
	@[ -f $(B)/wrsh_old ] || { echo "bloatcheck: no $(B)/wrsh_old: make baseline first"; exit 2; }
	$(PY) scripts/bloatcheck.py $(B)/wrsh_old $(B)/wrsh

# what each optional feature costs: the numbers in the Kconfig prompts
feature-size:
	scripts/feature-size.sh

fuzz:
	FUZZ_TIME=$(FUZZ_TIME) scripts/fuzz.sh

# issue 6's bar: every target to 10 million executions or an hour
fuzz-long:
	FUZZ_RUNS=10000000 FUZZ_TIME=3600 scripts/fuzz.sh

bench:
	scripts/bench.sh

bench-xfer: all
	scripts/bench-xfer.sh $(B)/wrsh

# echo hi on 100 hosts: wrsh's fan-out beside ansible -m raw over winrm
bench-fanout: all
	scripts/bench-fanout.sh $(B)/wrsh

# ---- install -------------------------------------------------------------------
# Nothing installed may collide with a distribution's or a firmware tree's
# files: the public headers under wrsh_ names (their includes rewritten to
# match), and the bundled, reconfigured expat and mbedTLS inside libwrsh.a
# rather than as libexpat.a / libmbedtls.a. `make uninstall` removes exactly
# INSTALLED. tests/install/install.sh checks both (`make test-install`).
HDR_MAP := core/wrsh.h:wrsh.h port/port.h:wrsh_port.h tls/tls.h:wrsh_tls.h port/posix/posix.h:wrsh_posix.h
HDR_SED := $(foreach m,$(HDR_MAP),-e 's|^\#include "$(notdir $(firstword $(subst :, ,$(m))))"|\#include "$(lastword $(subst :, ,$(m)))"|')
INSTALLED := bin/wrsh lib/libwrsh.a lib/pkgconfig/wrsh.pc $(addprefix include/,$(foreach m,$(HDR_MAP),$(lastword $(subst :, ,$(m)))))
PC_LIBS := $(if $(filter 1,$(SYSTEM_LIBS)),$(DEP_LIBS))

# libwrsh.a with the bundled dependencies' objects in it (GNU ar's MRI script)
$(B)/dist/libwrsh.a: $(B)/libwrsh.a $(filter %.a,$(DEP_LIBS))
	@mkdir -p $(dir $@)
	$(call say,AR,$@)rm -f $@; printf 'create $@\n$(foreach a,$^,addlib $(a)\n)save\nend\n' | $(AR) -M

install: all $(B)/dist/libwrsh.a
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(B)/wrsh $(DESTDIR)$(PREFIX)/bin/wrsh
	install -m 644 $(if $(filter 1,$(SYSTEM_LIBS)),$(B)/libwrsh.a,$(B)/dist/libwrsh.a) $(DESTDIR)$(PREFIX)/lib/libwrsh.a
	$(foreach m,$(HDR_MAP),sed $(HDR_SED) $(firstword $(subst :, ,$(m))) > $(DESTDIR)$(PREFIX)/include/$(lastword $(subst :, ,$(m))) && chmod 644 $(DESTDIR)$(PREFIX)/include/$(lastword $(subst :, ,$(m)));)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(WRSH_VERSION)|; s|@LIBS@|$(PC_LIBS)|' \
		wrsh.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/wrsh.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))
	-rmdir --ignore-fail-on-non-empty $(DESTDIR)$(PREFIX)/lib/pkgconfig

test-install:
	tests/install/install.sh

# ---- configuration targets -------------------------------------------------------
menuconfig: build/Kconfig.applets
	$(PY) -m menuconfig Kconfig

defconfig: build/Kconfig.applets
	$(PY) scripts/kconfig.py defconfig Kconfig configs/$(or $(PROFILE),full)_defconfig .config

olddefconfig: build/Kconfig.applets
	$(PY) scripts/kconfig.py olddefconfig Kconfig .config

savedefconfig: build/Kconfig.applets
	$(PY) scripts/kconfig.py savedefconfig Kconfig .config defconfig

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -vE '^(core/expat/|tests/replay/windows/)')

clean:
	rm -rf build

print-%:
	@echo $($*)

.PHONY: all baseline bloatcheck test test-unit test-exhaustive test-threads test-tsan check-state check-stack freestanding-objs freestanding-check test-interop test-valgrind test-endpoint test-cli test-tls test-hostile \
	lwip-check firmware qemu-check demo \
	check static cross size feature-size fuzz fuzz-long bench bench-xfer bench-fanout install uninstall test-install format menuconfig defconfig olddefconfig savedefconfig clean test-xfer
