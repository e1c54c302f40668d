# SPDX-License-Identifier: GPL-2.0
#
# vgc.ko for every kernel in $(KVERS_FULL), into build/kmod/<kver>/vgc.ko.
# Each build directory holds the Kbuild file and links to the sources, and
# M= points there, so objects never land in the source tree.
#
#   make module                 all kernels of $(KVERS_FULL), W=1
#   make module WERROR=1        warnings are errors (make check does this)
#   make module KDIR=<tree>     a custom (e.g. debug) kernel tree, into
#                               build/kmod/<its kernelrelease>/vgc.ko
#   make module C=2             run sparse over every file as well
#   make lint-kmod              checkpatch --strict on kmod/ and uapi/
#   make sparse-kmod            sparse (C=2) on every kernel, warnings fail

KMOD_SRCS	:= $(wildcard $(TOP)/kmod/*.c $(TOP)/kmod/*.h) \
		   $(wildcard $(TOP)/core/*.c $(TOP)/core/*.h) \
		   $(wildcard $(TOP)/uapi/linux/*.h) $(TOP)/Kbuild $(TOP)/VERSION
# -Werror only where the compiler is known (CI, make check): a user's newer
# gcc may warn where ours does not, and must still build the module.
WERROR		?= 0
KMOD_FLAGS	= W=1 $(if $(filter 1,$(WERROR)),KCFLAGS=-Werror)
KDIR		?=
CHECKPATCH_DIR	:= $(BUILD)/checkpatch
CHECKPATCH	:= $(CHECKPATCH_DIR)/scripts/checkpatch.pl
LINUX_SOURCE	:= /usr/src/linux-source-6.1.tar.xz

.PHONY: module lint-kmod sparse-kmod modules_install

ifneq ($(KDIR),)
KDIR_REL	= $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
module:
	@test -n "$(KDIR_REL)" || { echo "KDIR=$(KDIR): not a prepared kernel tree"; exit 1; }
	@$(MAKE) --no-print-directory $(BUILD)/kmod/$(KDIR_REL)/vgc.ko \
		KMOD_KDIR_$(subst .,_,$(subst -,_,$(subst +,_,$(KDIR_REL))))=$(KDIR)
else
module: kvers-check $(foreach k,$(KVERS_FULL),$(BUILD)/kmod/$(k)/vgc.ko)
endif

# A kernel of KVERS without headers is an error, not "nothing to be done".
.PHONY: kvers-check
kvers-check:
	@if [ -n "$(strip $(KVERS_MISSING))" ]; then \
		echo "module: no kernel headers for KVERS=$(strip $(KVERS_MISSING)) under $(MODULES_ROOT)" >&2; \
		echo "module: installed: $$(ls $(MODULES_ROOT) 2>/dev/null | tr '\n' ' ')" >&2; \
		echo "module: Debian: apt-get install linux-headers-<version>-amd64 (or make deps)" >&2; \
		exit 2; \
	fi

# Kernel tree of a kernel release: KDIR when given, Debian's headers else.
kmod_kdir = $(if $(KMOD_KDIR_$(subst .,_,$(subst -,_,$(subst +,_,$(1))))),$(KMOD_KDIR_$(subst .,_,$(subst -,_,$(subst +,_,$(1))))),$(MODULES_ROOT)/$(1)/build)

# Links are refreshed on every build so that removed sources disappear.
define kmod_tree
	mkdir -p $(1)/kmod
	rm -f $(1)/kmod/*.c $(1)/kmod/*.h
	ln -sfn $(TOP)/Kbuild $(1)/Kbuild
	ln -sfn $(TOP)/VERSION $(1)/VERSION
	ln -sfn $(TOP)/uapi $(1)/uapi
	mkdir -p $(1)/core
	rm -f $(1)/core/*.c $(1)/core/*.h
	for f in $(TOP)/core/*.c $(TOP)/core/*.h; do ln -sf $$f $(1)/core/; done
	for f in $(TOP)/kmod/*.c $(TOP)/kmod/*.h; do ln -sf $$f $(1)/kmod/; done
endef

# Kbuild runs every time: it alone knows when the flags (WERROR=1, C=2)
# changed since the last build, from its .cmd files, and it is a no-op
# otherwise.
.PHONY: kmod-force
$(BUILD)/kmod/%/vgc.ko: $(KMOD_SRCS) kmod-force
	$(call kmod_tree,$(BUILD)/kmod/$*)
	$(MAKE) -C $(call kmod_kdir,$*) M=$(BUILD)/kmod/$* $(KMOD_FLAGS) modules

sparse-kmod: WERROR := 1
sparse-kmod:
	@set -e; for k in $(KVERS_FULL); do \
		d=$(BUILD)/kmod/$$k; \
		$(MAKE) --no-print-directory $$d/vgc.ko; \
		$(MAKE) -C $(MODULES_ROOT)/$$k/build M=$$d $(KMOD_FLAGS) C=2 \
			modules 2>&1 | tee $$d/sparse.log; \
		if grep -E 'warning:|error:' $$d/sparse.log; then \
			echo "sparse: $$k not clean"; exit 1; fi; \
	done

$(CHECKPATCH):
	mkdir -p $(CHECKPATCH_DIR)
	tar -xaf $(LINUX_SOURCE) -C $(CHECKPATCH_DIR) --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'

# BIT()/BIT_ULL() do not exist for user space: uapi headers cannot use them.
lint-kmod: $(CHECKPATCH)
	$(CHECKPATCH) --strict --no-tree --terse --show-types --quiet -f \
		$(TOP)/kmod/*.c $(TOP)/kmod/*.h $(TOP)/core/*.c $(TOP)/core/*.h
	$(CHECKPATCH) --strict --no-tree --terse --show-types --quiet \
		--ignore BIT_MACRO -f $(TOP)/uapi/linux/*.h

lint: lint-kmod

modules_install: module
	@test -n "$(strip $(KVERS_FULL))" || { echo "modules_install: no kernel for KVERS=$(KVERS)" >&2; exit 2; }
	@set -e; for k in $(KVERS_FULL); do \
		install -D -m 0644 $(BUILD)/kmod/$$k/vgc.ko \
			$(DESTDIR)/lib/modules/$$k/updates/vgc.ko; \
		if [ -z "$(DESTDIR)" ]; then depmod -a $$k; fi; \
	done
