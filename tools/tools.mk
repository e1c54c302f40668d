# SPDX-License-Identifier: GPL-2.0
# vgcctl and vgc-bench; both link libvgcu statically.

BENCH_SRCS	:= $(sort $(wildcard $(TOP)/tools/bench/*.c))
TOOLS_CFLAGS	:= $(CFLAGS_COMMON) -pthread -I$(TOP)/tools/bench
TOOLS_LDLIBS	:= $(LIBVGCU_A) -lnuma -luring -pthread -lm
TOOLS_LDLIBS	+= -lgc -ldl	# vgc-bench sweep: Boehm GC baseline; alloc: malloc probe
TOOLS_CFLAGS	+= -fopenmp	# vgc-bench paper: OpenMP schedule(static) baseline
# vgc-bench preload: where gcc's input and an installed libvgcmalloc.so are
TOOLS_CFLAGS	+= -DVGC_SRCDIR='"$(TOP)"' -DVGC_LIBDIR='"$(LIBDIR)"'

tools: $(BUILD)/tools/vgc-bench $(BUILD)/tools/vgcctl

BENCH_HDRS	:= $(wildcard $(TOP)/tools/bench/*.h)

$(BUILD)/tools/vgc-bench: $(BENCH_SRCS) $(BENCH_HDRS) $(LIBVGCU_A)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -o $@ $(BENCH_SRCS) $(TOOLS_LDLIBS)

VGCCTL_SRCS	:= $(sort $(wildcard $(TOP)/tools/vgcctl/*.c))

$(BUILD)/tools/vgcctl: $(VGCCTL_SRCS) $(TOP)/tools/vgcctl/vgcctl.h $(TOP)/lib/statfile.h $(LIBVGCU_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -I$(TOP)/lib -pthread -o $@ $(VGCCTL_SRCS) $(LIBVGCU_A) -lnuma -luring -pthread -lm

BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin

.PHONY: install-tools uninstall-tools
install: install-tools
uninstall: uninstall-tools

# vgc-bench python's workloads: found in $(BINDIR)/../share/vgc/python-bench
PYBENCH_DIR	?= $(PREFIX)/share/vgc/python-bench
PYBENCH_SRCS	:= $(wildcard $(TOP)/tools/python/bench/*.py)

install-tools: $(BUILD)/tools/vgcctl $(BUILD)/tools/vgc-bench
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PYBENCH_DIR)
	install -m 0755 $(BUILD)/tools/vgcctl $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/tools/vgc-bench $(DESTDIR)$(BINDIR)/
	install -m 0644 $(PYBENCH_SRCS) $(DESTDIR)$(PYBENCH_DIR)/

uninstall-tools:
	rm -f $(DESTDIR)$(SBINDIR)/vgcctl $(DESTDIR)$(BINDIR)/vgc-bench
	rm -f $(addprefix $(DESTDIR)$(PYBENCH_DIR)/,$(notdir $(PYBENCH_SRCS)))
	rmdir $(DESTDIR)$(PYBENCH_DIR) $(DESTDIR)$(PREFIX)/share/vgc 2>/dev/null || true

# make run: boot a VM on KVER (default 6.12), load vgc.ko, run the demo under
# numactl on each node, unload; then the PPE paper tables on the host's own
# CPUs and a summary (tools/run.sh).  The kernel is resolved
# in run-vm, a make started after the deps step, which may have installed it.
RUN_KVER	= $(call kver_of,$(or $(KVER),6.12))

run:
	@$(DEPS)
	@$(MAKE) --no-print-directory run-vm

run-vm:
	@test -n "$(RUN_KVER)" || { echo "run: no Debian $(or $(KVER),6.12) kernel under $(MODULES_ROOT)" >&2; exit 2; }
ifneq ($(RUN_DRY),)
	@echo "run: kernel $(RUN_KVER) module $(BUILD)/kmod/$(RUN_KVER)/vgc.ko"
else
	@$(MAKE) --no-print-directory module lib $(BUILD)/tools/vgcctl KVERS=$(RUN_KVER)
	@$(MAKE) --no-print-directory $(BUILD)/tools/vgc-bench || \
		echo "run: vgc-bench did not build; the demo runs without it"
	@$(TOP)/tools/run.sh $(RUN_KVER)
endif
