# SPDX-License-Identifier: GPL-2.0
# vgcctl and vgc-bench; both link libvgcu statically.

BENCH_SRCS	:= $(sort $(wildcard $(TOP)/tools/bench/*.c))
TOOLS_CFLAGS	:= $(CFLAGS_COMMON) -pthread -I$(TOP)/tools/bench
TOOLS_LDLIBS	:= $(LIBVGCU_A) -lnuma -luring -pthread -lm
TOOLS_LDLIBS	+= -lgc -ldl	# vgc-bench sweep: Boehm GC baseline; alloc: malloc probe
TOOLS_CFLAGS	+= -fopenmp	# vgc-bench paper: OpenMP schedule(static) baseline

tools: $(BUILD)/tools/vgc-bench

$(BUILD)/tools/vgc-bench: $(BENCH_SRCS) $(TOP)/tools/bench/bench.h $(LIBVGCU_A)
	@mkdir -p $(dir $@)
	$(CC) $(TOOLS_CFLAGS) -o $@ $(BENCH_SRCS) $(TOOLS_LDLIBS)
