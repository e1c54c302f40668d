# SPDX-License-Identifier: GPL-2.0
# libvgcu: every lib/*.c goes into libvgcu.a and libvgcu.so.

LIB_SONAME	:= libvgcu.so.1
LIB_VERSION	:= 1.0.0
LIB_SRCS	:= $(sort $(wildcard $(TOP)/lib/*.c))
LIB_OBJS	:= $(patsubst $(TOP)/lib/%.c,$(BUILD)/lib/obj/%.o,$(LIB_SRCS))
LIB_CFLAGS	:= $(CFLAGS_COMMON) -fPIC -fvisibility=hidden -pthread -MMD -MP
LIB_LDLIBS	:= -lnuma -luring -pthread
LIBVGCU_A	:= $(BUILD)/lib/libvgcu.a
LIBVGCU_SO	:= $(BUILD)/lib/libvgcu.so

lib: $(LIBVGCU_A) $(LIBVGCU_SO)

$(BUILD)/lib/obj/%.o: $(TOP)/lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIBVGCU_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(LIBVGCU_SO): $(LIB_OBJS) $(TOP)/lib/libvgcu.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script,$(TOP)/lib/libvgcu.map \
		-o $@.$(LIB_VERSION) $(LIB_OBJS) $(LIB_LDLIBS)
	ln -sf $(notdir $@).$(LIB_VERSION) $@.1
	ln -sf $(notdir $@).$(LIB_VERSION) $@

-include $(LIB_OBJS:.o=.d)
