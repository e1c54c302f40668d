# SPDX-License-Identifier: GPL-2.0
#
# Selftests.  The kselftest harness comes from Debian's linux-source-6.1 at
# build time (never committed) into build/kselftest/; tests write
#     #include "kselftest_harness.h"
# (the kernel tree's "../kselftest_harness.h" resolves too).
#
#   selftests/kmod/*_test.c -> build/selftests/kmod/*  libc, liburing, <linux/vgc.h>,
#                                                      selftests/kmod/vgc_test.h
#   selftests/lib/*_test.c  -> build/selftests/lib/*   + libvgcu.a
#
#   make check-host          lib tests on the host, anonymous backend
#   make check-vm            per kernel of KVERS: one VM, kmod + lib tests
#                            against vgc.ko, dmesg and leak checks, rmmod
#   make check               deps, W=1 build, check-host, check-vm, totals
#   TESTS=substr[,substr]    only tests whose "kmod/name" or "lib/name"
#                            contains one of the substrs
#   VM_TIMEOUT=s             time limit of one VM (default 1800)
#   TEST_TIMEOUT=s           time limit of one test binary (default 300)

KSFT_TARBALL	:= /usr/src/linux-source-6.1.tar.xz
KSFT_DIR	:= $(BUILD)/kselftest
KSFT_STAMP	:= $(KSFT_DIR)/.extracted
# kernel-doc for the manual's section 3 (man/man.mk), from the same pass.
KERNEL_DOC	:= $(KSFT_DIR)/scripts/kernel-doc
# FIXTURE_SETUP/TEARDOWN define non-static functions.
SELFTEST_CFLAGS	:= $(CFLAGS_COMMON) -I$(TOP)/core -Wno-missing-prototypes -pthread -isystem $(KSFT_DIR) -isystem $(KSFT_DIR)/tests -MMD -MP
SELFTEST_LIBS	:= $(LIBVGCU_A) -lnuma -luring -pthread -lm
# Module tests speak ioctl, mmap and io_uring (liburing) to /dev/vgc only.
KTEST_LIBS	:= -Wl,--as-needed -luring -pthread

KTEST_SRCS	:= $(sort $(wildcard $(TOP)/selftests/kmod/*_test.c))
KTESTS		:= $(patsubst $(TOP)/selftests/kmod/%.c,$(BUILD)/selftests/kmod/%,$(KTEST_SRCS))
LTEST_SRCS	:= $(sort $(wildcard $(TOP)/selftests/lib/*_test.c))
LTESTS		:= $(patsubst $(TOP)/selftests/lib/%.c,$(BUILD)/selftests/lib/%,$(LTEST_SRCS))
VGC_COUNTERS	:= $(BUILD)/selftests/vgc-counters

VM_TIMEOUT	?= 1800
TEST_TIMEOUT	?= 300
# Counts of one "make check" (or one check-host / check-vm) live in a
# directory of their own, so that concurrent runs never mix their numbers.
CHECK_DIR	?= $(BUILD)/check/$(shell echo $$PPID)

# One tar pass over the 140 MB tarball: the harness, checkpatch for lint and
# kernel-doc for the manual.  Grouped targets: a tree extracted before
# kernel-doc was on the list lacks it, and is extracted again.  --touch:
# members keeping their dates would be older than the tarball, and always
# out of date.
$(KSFT_STAMP) $(KERNEL_DOC) &: $(KSFT_TARBALL)
	@mkdir -p $(KSFT_DIR)/tests
	tar -xaf $< -C $(KSFT_DIR) --touch --wildcards \
		--transform 's,^linux-source-6.1/tools/testing/selftests/,,;s,^linux-source-6.1/,,' \
		'linux-source-6.1/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/kernel-doc' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch' \
		'linux-source-6.1/.clang-format'
	@touch $(KSFT_STAMP)

$(KSFT_TARBALL):
	@$(DEPS)

kselftest-headers: $(KSFT_STAMP)

# A test that no longer builds must not leave an old binary to be run.
$(BUILD)/selftests/kmod/%: $(TOP)/selftests/kmod/%.c $(KSFT_STAMP)
	@mkdir -p $(dir $@); rm -f $@
	$(CC) $(SELFTEST_CFLAGS) -o $@ $< $(KTEST_LIBS)

$(BUILD)/selftests/lib/%: $(TOP)/selftests/lib/%.c $(KSFT_STAMP) $(LIBVGCU_A)
	@mkdir -p $(dir $@); rm -f $@
	$(CC) $(SELFTEST_CFLAGS) -o $@ $< $(SELFTEST_LIBS)

# The PPE test runs the paper's workloads from vgc-bench's own source.
PAPER_WL_OBJ	:= $(BUILD)/selftests/lib/obj/paper_workloads.o

$(PAPER_WL_OBJ): $(TOP)/tools/bench/paper_workloads.c
	@mkdir -p $(dir $@)
	$(CC) $(SELFTEST_CFLAGS) -c -o $@ $<

$(BUILD)/selftests/lib/ppe_run_test: $(TOP)/selftests/lib/ppe_run_test.c $(PAPER_WL_OBJ) $(KSFT_STAMP) $(LIBVGCU_A)
	@mkdir -p $(dir $@); rm -f $@
	$(CC) $(SELFTEST_CFLAGS) -I$(TOP)/tools/bench -o $@ $< $(PAPER_WL_OBJ) $(SELFTEST_LIBS)

# vgcctl list/top against the test's own arena.
$(BUILD)/selftests/lib/vgcctl_arena_test: $(BUILD)/tools/vgcctl

# Real programs under libvgcmalloc.so on the module.
$(BUILD)/selftests/lib/malloc_module_test: $(VGCMALLOC_SO) $(VGCMALLOC_STRESS)

# vgc-python on the module: the launcher, and the script it runs next to
# the test (check-vm's snapshot copies both).
PYMOD_PROCS	:= $(BUILD)/selftests/lib/python_module_procs.py
$(BUILD)/selftests/lib/python_module_test: $(PYMOD_PROCS)
ifneq ($(wildcard $(PY_CONFIG)),)
$(BUILD)/selftests/lib/python_module_test: $(VGC_PYTHON)
endif
$(PYMOD_PROCS): $(TOP)/selftests/lib/python_module_procs.py
	@mkdir -p $(dir $@)
	cp $< $@

$(VGC_COUNTERS): $(TOP)/tools/vm/vgc-counters.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -o $@ $<

selftests: $(KTESTS) $(LTESTS) $(VGC_COUNTERS)

-include $(KTESTS:=.d) $(LTESTS:=.d) $(PAPER_WL_OBJ:.o=.d)

# A test that does not build is reported and counted as one failure; the
# others still run.
check-host:
	@mkdir -p $(CHECK_DIR)
	@$(MAKE) --no-print-directory -k $(LTESTS) >$(CHECK_DIR)/host-build.log 2>&1 || \
		{ grep -E 'error|Error' $(CHECK_DIR)/host-build.log | head -n 20; \
		  echo "check-host: some lib tests did not build (see $(CHECK_DIR)/host-build.log)"; }
	@VGC_TEST_TIMEOUT=$(TEST_TIMEOUT) $(TOP)/tools/vm/run-tests.sh --host \
		--filter '$(TESTS)' --counts $(CHECK_DIR)/host.counts
	@! grep -qs '^0 1' $(CHECK_DIR)/symbols.counts || \
		{ echo "check-host: the exported symbols disagree (lib/check-symbols.sh)"; exit 1; }

check-vm: module $(VGC_COUNTERS)
	@mkdir -p $(CHECK_DIR)
	@$(MAKE) --no-print-directory -k $(KTESTS) $(LTESTS) >$(CHECK_DIR)/vm-build.log 2>&1 || \
		{ grep -E 'error|Error' $(CHECK_DIR)/vm-build.log | head -n 20; \
		  echo "check-vm: some tests did not build (see $(CHECK_DIR)/vm-build.log)"; }
	@$(TOP)/tools/vm/check-vm.sh --timeout $(VM_TIMEOUT) \
		--test-timeout $(TEST_TIMEOUT) --filter '$(TESTS)' \
		--counts-dir $(CHECK_DIR) $(KVERS_FULL)

# Build and install tests: selftests/build/*_test.sh, TAP each, counted as
# one case per "ok" / "not ok" / "ok ... # SKIP" line.  A script may raise
# its own time limit above TEST_TIMEOUT with a "# vgc-test-timeout: s" line.
BUILD_TESTS	:= $(sort $(wildcard $(TOP)/selftests/build/*_test.sh))

.PHONY: check-build
check-build:
	@mkdir -p $(CHECK_DIR)
	@p=0; f=0; s=0; for t in $(BUILD_TESTS); do \
		name=build/$$(basename $$t .sh); \
		if [ -n "$(TESTS)" ] && [[ $$name != *"$(TESTS)"* ]]; then continue; fi; \
		tt=$$(sed -n 's/^# vgc-test-timeout: *\([0-9]*\)$$/\1/p' $$t); \
		[ -n "$$tt" ] && [ $$tt -gt $(TEST_TIMEOUT) ] || tt=$(TEST_TIMEOUT); \
		out=$$(timeout $$tt $$t 2>&1); rc=$$?; echo "$$out" | sed 's/^/# /'; \
		ts=$$(grep -c '^ok .*# SKIP' <<<"$$out"); \
		tp=$$(($$(grep -c '^ok ' <<<"$$out") - ts)); \
		tf=$$(grep -c '^not ok ' <<<"$$out"); \
		[ $$rc = 0 ] || [ $$tf -gt 0 ] || tf=1; \
		p=$$((p + tp)); f=$$((f + tf)); s=$$((s + ts)); \
		if [ $$rc = 0 ]; then echo "ok $$name"; else echo "not ok $$name # exit $$rc"; fi; \
	done; echo "$$p $$f $$s" >$(CHECK_DIR)/build-tests.counts; \
	echo "# build: $$p passed, $$f failed, $$s skipped"

# Every step runs even when an earlier one failed, so that the closing line
# counts everything; a failed build counts as one failure.
check:
	@$(DEPS)
	@rm -rf $(CHECK_DIR) && mkdir -p $(CHECK_DIR)
	@$(MAKE) --no-print-directory -k W=1 WERROR=1 all selftests man || \
		{ echo "check: build failed"; echo "0 1 0" >$(CHECK_DIR)/build.counts; }
	@$(MAKE) --no-print-directory check-host CHECK_DIR=$(CHECK_DIR) || true
	@$(MAKE) --no-print-directory check-build CHECK_DIR=$(CHECK_DIR) || true
	@$(MAKE) --no-print-directory check-vm CHECK_DIR=$(CHECK_DIR) || true
	@$(MAKE) --no-print-directory check-sum CHECK_DIR=$(CHECK_DIR)

# A step that died before writing its counts is one failure.  A make of its
# own: this one listed the kernels before the deps step installed them.
.PHONY: check-sum
check-sum:
	@for c in host build-tests $(addprefix vm-,$(KVERS_FULL)); do \
		[ -s $(CHECK_DIR)/$$c.counts ] || \
		{ echo "check: $$c reported nothing"; echo "0 1 0" >$(CHECK_DIR)/$$c.counts; }; \
	done
	@$(TOP)/tools/vm/sum-counts.sh $(CHECK_DIR)/*.counts

.PHONY: kselftest-headers
