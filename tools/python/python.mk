# SPDX-License-Identifier: GPL-2.0
# vgc-python: Debian's libpython3.11 with libvgcu (static) as its allocator
# (docs/vgc-python.md).  Needs libpython3.11-dev (tools/deps.sh); without
# its python3.11-config the launcher is left out of "make" and its test
# skips.  /usr/bin explicitly: a pyenv python3.11 may come first on PATH.

PY_CONFIG	?= /usr/bin/python3.11-config
VGC_PYTHON	:= $(BUILD)/tools/vgc-python
VGC_PYTHON_SRCS	:= $(addprefix $(TOP)/tools/python/,vgc-python.c shim.c \
		     profile.c plan.c json.c stats.c)
VGC_PYTHON_HDRS	:= $(addprefix $(TOP)/tools/python/,vgcpy.h shim.h json.h)

ifneq ($(wildcard $(PY_CONFIG)),)
tools: $(VGC_PYTHON)
install-tools: install-vgc-python
endif

.PHONY: vgc-python install-vgc-python uninstall-vgc-python
vgc-python: $(VGC_PYTHON)

# The Python headers are not ours to warn about: -isystem.
$(VGC_PYTHON): $(VGC_PYTHON_SRCS) $(VGC_PYTHON_HDRS) $(TOP)/tools/python/python.mk $(LIBVGCU_A)
	@test -x $(PY_CONFIG) || { echo "vgc-python: no $(PY_CONFIG) (libpython3.11-dev)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -pthread \
		$$($(PY_CONFIG) --includes | sed 's/-I/-isystem /g') \
		-o $@ $(VGC_PYTHON_SRCS) $(LIBVGCU_A) \
		$$($(PY_CONFIG) --embed --ldflags) -lnuma -luring -pthread -lm

install-vgc-python: $(VGC_PYTHON)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(VGC_PYTHON) $(DESTDIR)$(BINDIR)/

uninstall: uninstall-vgc-python
uninstall-vgc-python:
	rm -f $(DESTDIR)$(BINDIR)/vgc-python
