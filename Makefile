# SPDX-License-Identifier: GPL-2.0
#
# VGC top-level build.  Out-of-tree module for each test kernel, libvgcu,
# tools, selftests.  Every build output goes under build/.
#
#   make            module (running-kernel headers or KVERS) + lib + tools
#                   + libvgcmalloc.so
#   make check      install missing Debian packages, host unit tests, then
#                   the kselftests in a VM on Debian 6.1 and 6.12
#   make run        boot a VM, insmod, run the demo and the PPE tables
#   make lint       checkpatch --strict, sparse, cppcheck
#
# Fast path while iterating:  make check-vm KVERS=6.12 TESTS=arena

SHELL		:= /bin/bash
TOP		:= $(CURDIR)
BUILD		:= $(TOP)/build
PREFIX		?= /usr/local
# The one version of the project: the library's file name, vgcu.pc, the
# DKMS package and the manual.  Kbuild reads VERSION for itself (the DKMS
# tree has no top Makefile).
VGC_VERSION	:= $(shell cat $(TOP)/VERSION)

# Debian kernels the module is built and tested for.  Short names (6.1,
# 6.12) resolve to the newest installed Debian amd64 kernel of that series.
# A make that runs after tools/deps.sh installed kernels must be a new make
# process: make caches directory listings, so $(wildcard) in the process
# that ran the install still sees the old, empty /lib/modules.
KVERS		?= 6.1 6.12
MODULES_ROOT	?= /lib/modules
kver_of		= $(if $(findstring -,$(1)),$(1),$(notdir $(lastword $(sort $(wildcard $(MODULES_ROOT)/$(1).*-amd64 $(MODULES_ROOT)/$(1).*+deb*-amd64)))))
KVERS_FULL	= $(foreach k,$(KVERS),$(call kver_of,$(k)))
# Kernels of KVERS with no headers to build against.
KVERS_MISSING	= $(foreach k,$(KVERS),$(if $(wildcard $(MODULES_ROOT)/$(call kver_of,$(k))/build/Makefile),,$(k)))
# The dependency installer; make_fresh_test.sh points it at a script that
# installs a fake kernel, to prove that make run resolves kernels after it.
DEPS		?= $(TOP)/tools/deps.sh

CC		?= gcc
CFLAGS_COMMON	:= -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Werror=implicit-function-declaration \
		   -D_GNU_SOURCE -I$(TOP)/uapi -I$(TOP)/lib/include

.PHONY: all deps module lib tools selftests check check-host check-vm \
	check-debug run run-vm install uninstall modules_install lint clean

all: module lib tools

deps:
	@$(DEPS)

include lib/lib.mk
include kmod/kmod.mk
include kmod/dkms.mk
include tools/tools.mk
include malloc/malloc.mk
include tools/python/python.mk
include selftests/selftests.mk
include tools/debug-kernel/debug.mk
include man/man.mk

clean:
	rm -rf $(BUILD)
