# SPDX-License-Identifier: GPL-2.0
#
# libvgcmalloc.so: the malloc family served by one VGC arena, for
# LD_PRELOAD (docs/malloc.md).  libvgcu is linked in statically and hidden
# by the version script; only libnuma, liburing and libc stay dynamic.
# Not versioned, no soname: a preload object, never linked against.
#
#   make malloc     build/malloc/libvgcmalloc.so
#   make install    installs it into $(LIBDIR)

VGCMALLOC_SO	:= $(BUILD)/malloc/libvgcmalloc.so
VGCMALLOC_OBJ	:= $(BUILD)/malloc/obj/vgcmalloc.o
# -fno-builtin: gcc must not turn the memset after an allocation in
# here into a call of calloc(), nor reason about malloc's own result.
VGCMALLOC_CFLAGS := $(LIB_CFLAGS) -I$(TOP)/lib -fno-builtin -ftls-model=initial-exec

.PHONY: malloc install-malloc uninstall-malloc
all: malloc
malloc: $(VGCMALLOC_SO)

$(VGCMALLOC_OBJ): $(TOP)/malloc/vgcmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(VGCMALLOC_CFLAGS) -c -o $@ $<

$(VGCMALLOC_SO): $(VGCMALLOC_OBJ) $(LIBVGCU_A) $(TOP)/malloc/vgcmalloc.map $(TOP)/malloc/malloc.mk
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,--version-script,$(TOP)/malloc/vgcmalloc.map \
		-Wl,-z,nodelete -Wl,--gc-sections -o $@ $(VGCMALLOC_OBJ) \
		$(LIBVGCU_A) -Wl,--as-needed $(LIB_LDLIBS) -ldl

-include $(VGCMALLOC_OBJ:.o=.d)

install: install-malloc
uninstall: uninstall-malloc

install-malloc: $(VGCMALLOC_SO)
	install -d $(DESTDIR)$(LIBDIR)
	install -m 0755 $(VGCMALLOC_SO) $(DESTDIR)$(LIBDIR)/

uninstall-malloc:
	rm -f $(DESTDIR)$(LIBDIR)/libvgcmalloc.so

# The test program of selftests/build/malloc_test.sh: plain libc, run with
# and without the preload.
VGCMALLOC_STRESS := $(BUILD)/malloc/vgcmalloc-stress
malloc: $(VGCMALLOC_STRESS)

$(VGCMALLOC_STRESS): $(TOP)/malloc/stress.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -pthread -o $@ $<
