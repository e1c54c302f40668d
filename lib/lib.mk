# SPDX-License-Identifier: GPL-2.0
# libvgcu: every lib/*.c goes into libvgcu.a and libvgcu.so.

LIB_SONAME	:= libvgcu.so.1
LIB_VERSION	:= $(VGC_VERSION)
# core/ is the code the library shares with vgc.ko (see core/vgc_core.h).
LIB_SRCS	:= $(sort $(wildcard $(TOP)/lib/*.c))
CORE_SRCS	:= $(sort $(wildcard $(TOP)/core/*.c))
LIB_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/obj/%.o,$(LIB_SRCS)) \
		   $(patsubst $(TOP)/core/%.c,$(BUILD)/lib/obj/core/%.o,$(CORE_SRCS))
LIB_CFLAGS	:= $(CFLAGS_COMMON) -I$(TOP)/core -fPIC -fvisibility=hidden -fno-semantic-interposition -pthread -MMD -MP
LIB_LDLIBS	:= -lnuma -luring -pthread -lm
LIBVGCU_A	:= $(BUILD)/lib/libvgcu.a
LIBVGCU_SO	:= $(BUILD)/lib/libvgcu.so

lib: $(LIBVGCU_A) $(LIBVGCU_SO)

$(BUILD)/lib/obj/%.o: $(TOP)/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(BUILD)/lib/obj/core/%.o: $(TOP)/core/%.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIBVGCU_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBVGCU_SO): $(LIB_OBJS) $(TOP)/lib/libvgcu.map $(TOP)/lib/lib.mk
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script,$(TOP)/lib/libvgcu.map \
		-o $@.$(LIB_VERSION) $(LIB_OBJS) $(LIB_LDLIBS)
	ln -sf $(notdir $@).$(LIB_VERSION) $@.1
	ln -sf $(notdir $@).$(LIB_VERSION) $@

-include $(LIB_OBJS:.o=.d)

# The exported ABI (lib/check-symbols.sh): the public headers, the map and
# the .so name the same functions.  Part of check-host, counted as one test
# (skipped when TESTS= names other tests); a mismatch fails check-host after
# the unit tests have run and counted themselves.
.PHONY: check-symbols
check-host: check-symbols
check-symbols: $(LIBVGCU_SO)
	@mkdir -p $(CHECK_DIR)
	@case lib/check-symbols in *'$(TESTS)'*) ;; *) exit 0 ;; esac; \
	if CC='$(CC)' $(TOP)/lib/check-symbols.sh $(LIBVGCU_SO); then \
		echo "1 0 0" >$(CHECK_DIR)/symbols.counts; \
	else \
		echo "0 1 0" >$(CHECK_DIR)/symbols.counts; \
	fi

# pkg-config file and installation: the library, its public headers and the
# uapi headers they include (<linux/vgc.h>, <linux/vgc_state.h>).
DESTDIR		?=
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
VGCU_PC		:= $(BUILD)/lib/vgcu.pc

lib: $(VGCU_PC)

# Regenerated on every make and replaced only when it changes, so that a
# new PREFIX, LIBDIR or INCLUDEDIR reaches it without a clean.
.PHONY: vgcu-pc-force
$(VGCU_PC): $(TOP)/lib/vgcu.pc.in vgcu-pc-force
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
	    $< > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "  GEN $@"; fi

.PHONY: install-lib uninstall-lib
install: install-lib
uninstall: uninstall-lib

install-lib: lib
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/linux
	install -m 0644 $(LIBVGCU_A) $(DESTDIR)$(LIBDIR)/
	install -m 0755 $(LIBVGCU_SO).$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libvgcu.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libvgcu.so
	install -m 0644 $(VGCU_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 $(wildcard $(TOP)/lib/include/*.h) $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 $(TOP)/uapi/linux/vgc.h $(TOP)/uapi/linux/vgc_state.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libvgcu.a $(DESTDIR)$(LIBDIR)/libvgcu.so* \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/vgcu.pc \
	      $(DESTDIR)$(INCLUDEDIR)/linux/vgc.h \
	      $(DESTDIR)$(INCLUDEDIR)/linux/vgc_state.h \
	      $(addprefix $(DESTDIR)$(INCLUDEDIR)/,$(notdir $(wildcard $(TOP)/lib/include/*.h)))
