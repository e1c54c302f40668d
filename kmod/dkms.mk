# SPDX-License-Identifier: GPL-2.0
#
# vgc.ko through DKMS, so that kernel upgrades rebuild it.
#
#   make dkms-install      sources to /usr/src/vgc-<version>, then dkms add,
#                          build and install for the running kernel
#   make dkms-remove       dkms remove --all, sources removed
#   make dkms-check        dkms build for every kernel of KVERS in a private
#                          tree under build/dkms (CI: nothing is installed)

DKMS_SRC_ROOT	?= $(DESTDIR)/usr/src
DKMS_CHECK	:= $(BUILD)/dkms

.PHONY: dkms-src dkms-install dkms-remove dkms-check

# $(1): the directory that becomes vgc-<version>/
define dkms_tree_copy
	rm -rf $(1)
	install -d $(1)/kmod $(1)/core $(1)/uapi/linux
	install -m 0644 $(TOP)/Kbuild $(TOP)/VERSION $(1)/
	sed 's/@VERSION@/$(VGC_VERSION)/' $(TOP)/dkms.conf >$(1)/dkms.conf
	install -m 0644 $(TOP)/kmod/*.c $(TOP)/kmod/*.h $(1)/kmod/
	install -m 0644 $(TOP)/core/*.c $(TOP)/core/*.h $(1)/core/
	install -m 0644 $(TOP)/uapi/linux/*.h $(1)/uapi/linux/
endef

dkms-src:
	$(call dkms_tree_copy,$(DKMS_SRC_ROOT)/vgc-$(VGC_VERSION))

dkms-install: dkms-src
	@command -v dkms >/dev/null || { echo "dkms-install: dkms missing (apt-get install dkms)" >&2; exit 2; }
	dkms status -m vgc -v $(VGC_VERSION) | grep -q . || dkms add -m vgc -v $(VGC_VERSION)
	dkms build -m vgc -v $(VGC_VERSION)
	dkms install -m vgc -v $(VGC_VERSION)

dkms-remove:
	@command -v dkms >/dev/null || { echo "dkms-remove: dkms missing" >&2; exit 2; }
	-dkms remove -m vgc -v $(VGC_VERSION) --all
	rm -rf $(DKMS_SRC_ROOT)/vgc-$(VGC_VERSION)

dkms-check: kvers-check
	@command -v dkms >/dev/null || { echo "dkms-check: dkms missing (apt-get install dkms)" >&2; exit 2; }
	rm -rf $(DKMS_CHECK)
	$(call dkms_tree_copy,$(DKMS_CHECK)/src/vgc-$(VGC_VERSION))
	mkdir -p $(DKMS_CHECK)/tree
	dkms add -m vgc -v $(VGC_VERSION) --sourcetree $(DKMS_CHECK)/src \
		--dkmstree $(DKMS_CHECK)/tree
	@set -e; for k in $(KVERS_FULL); do \
		dkms build -m vgc -v $(VGC_VERSION) -k $$k \
			--sourcetree $(DKMS_CHECK)/src --dkmstree $(DKMS_CHECK)/tree \
			--kernelsourcedir $(MODULES_ROOT)/$$k/build; \
		ko=$$(find $(DKMS_CHECK)/tree/vgc/$(VGC_VERSION)/$$k -name 'vgc.ko*' | head -n 1); \
		test -n "$$ko" || { echo "dkms-check: no vgc.ko for $$k" >&2; exit 1; }; \
		modinfo -F version $$ko | grep -qx '$(VGC_VERSION)' || \
			{ echo "dkms-check: $$ko is not version $(VGC_VERSION)" >&2; exit 1; }; \
		echo "dkms-check: $$k: $$ko"; \
	done
