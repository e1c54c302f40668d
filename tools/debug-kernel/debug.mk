# SPDX-License-Identifier: GPL-2.0
#
# Reliability lane: the debug kernel, vgc-fuzz and static analysis.
#
#   make check-debug     build (or reuse) the KASAN/KFENCE/lockdep/kmemleak
#                        kernel of tools/debug-kernel, build vgc.ko against
#                        it, boot it and run every selftest, a bounded fuzz
#                        run, then rmmod and an explicit kmemleak scan
#   make fuzz            build/tools/vgc-fuzz only
#   make lint            checkpatch + sparse on the module (lint-kmod,
#                        sparse-kmod), cppcheck on lib/ and tools/
#
# Knobs (environment or make variables):
#   FUZZ_SEEDS=A-B FUZZ_OPS=N FUZZ_TIME=S   the bounded fuzz run in the VM
#   DEBUG_VM_TIMEOUT=S                      time limit of the debug VM
#   DEBUG_TEST_TIMEOUT=S                    time limit of one test binary
# A long fuzz run under the debug kernel is one command away:
#   make check-debug FUZZ_SEEDS=1-500 FUZZ_OPS=5000 FUZZ_TIME=3000 \
#        DEBUG_VM_TIMEOUT=3600 DEBUG_TESTS=none

VGC_FUZZ	:= $(BUILD)/tools/vgc-fuzz
FUZZ_SEEDS	?= 1-60
FUZZ_OPS	?= 2000
FUZZ_TIME	?= 180
DEBUG_VM_TIMEOUT ?= 2400
DEBUG_TEST_TIMEOUT ?= 900
DEBUG_TESTS	?=
CPPCHECK_SUPP	:= $(TOP)/tools/debug-kernel/cppcheck.supp

.PHONY: fuzz lint-user

tools: $(VGC_FUZZ)
fuzz: $(VGC_FUZZ)

FUZZ_SRCS	:= $(sort $(wildcard $(TOP)/tools/fuzz/*.c))

$(VGC_FUZZ): $(FUZZ_SRCS) $(TOP)/tools/fuzz/fuzz.h $(TOP)/uapi/linux/vgc.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -pthread -o $@ $(FUZZ_SRCS) -luring

check-debug: $(VGC_FUZZ) selftests
	@FUZZ_SEEDS='$(FUZZ_SEEDS)' FUZZ_OPS='$(FUZZ_OPS)' FUZZ_TIME='$(FUZZ_TIME)' \
		DEBUG_VM_TIMEOUT='$(DEBUG_VM_TIMEOUT)' \
		DEBUG_TEST_TIMEOUT='$(DEBUG_TEST_TIMEOUT)' DEBUG_TESTS='$(DEBUG_TESTS)' \
		$(TOP)/tools/debug-kernel/check-debug.sh

# cppcheck over the user-space C; findings fail unless justified in
# tools/debug-kernel/cppcheck.supp (one "id:file[:line]" per line, with a
# comment saying why).
lint-user:
	cppcheck --quiet --error-exitcode=1 --inline-suppr \
		--enable=warning,performance,portability \
		--std=c11 --suppressions-list=$(CPPCHECK_SUPP) \
		-D__GNUC__ -D_GNU_SOURCE -U__cplusplus \
		-I$(TOP)/uapi -I$(TOP)/lib/include -I$(TOP)/core \
		$(TOP)/lib $(TOP)/core $(TOP)/tools

lint: lint-kmod sparse-kmod lint-user
	@echo "lint: checkpatch, sparse and cppcheck clean"

# The death tests drive io_uring through liburing (a shorter stem than the
# generic selftests rule, so this one applies to them).
$(BUILD)/selftests/kmod/death_%: $(TOP)/selftests/kmod/death_%.c $(KSFT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(SELFTEST_CFLAGS) -o $@ $< -luring -pthread
