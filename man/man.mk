# SPDX-License-Identifier: GPL-2.0
#
# Manual pages.  Section 3 is generated from the kernel-doc comments of the
# public headers by the kernel's own scripts/kernel-doc (from Debian's
# linux-source-6.1, extracted at build time with the kselftest harness by
# selftests/selftests.mk, never committed): one page per
# function, so a function documented in its header has its page.  The
# other sections are written by hand in man/; their .TH line says
# @VERSION@, which becomes $(VGC_VERSION) here.
#
#   make man          build/man/man{1,3,4,7,8}
#   make install      installs them under $(MANDIR)

MANDIR		?= $(PREFIX)/share/man
MAN_BUILD	:= $(BUILD)/man
MAN_HEADERS	:= $(sort $(wildcard $(TOP)/lib/include/*.h))
MAN_PAGES	:= $(sort $(wildcard $(TOP)/man/*.[1-8]))
MAN_STAMP	:= $(MAN_BUILD)/.stamp

.PHONY: man install-man uninstall-man

man: $(MAN_STAMP)

# kernel-doc -man writes every page of a header to one stream, each starting
# with .TH: split it, keep the functions, and make the header the library's.
$(MAN_STAMP): $(MAN_HEADERS) $(MAN_PAGES) $(KERNEL_DOC) $(TOP)/man/man.mk $(TOP)/VERSION
	rm -rf $(MAN_BUILD)
	mkdir -p $(MAN_BUILD)/man1 $(MAN_BUILD)/man3 $(MAN_BUILD)/man4 \
		$(MAN_BUILD)/man7 $(MAN_BUILD)/man8
	@set -e; for h in $(MAN_HEADERS); do \
		inc=$$(basename $$h); \
		$(KERNEL_DOC) -man $$h | awk -v dir=$(MAN_BUILD)/man3 -v inc=$$inc \
			-v ver="libvgcu $(VGC_VERSION)" ' \
		/^\.TH / { out = ""; name = $$2; gsub(/"/, "", name); \
			if (name ~ /^vgc_[a-z0-9_]+$$/) { out = dir "/" name ".3"; \
			printf ".TH \"%s\" 3 \"%s\" \"%s\" \"libvgcu Manual\"\n", \
				name, "December 2026", ver > out }; next } \
		out == "" { next } \
		/^\.SH SYNOPSIS/ { print > out; \
			printf ".B #include <%s>\n.sp\n", inc > out; next } \
		{ print > out }'; \
	done
	@set -e; for p in $(MAN_PAGES); do \
		sed 's/@VERSION@/$(VGC_VERSION)/g' $$p \
			>$(MAN_BUILD)/man$${p##*.}/$${p##*/}; \
	done
	@echo "man: $$(ls $(MAN_BUILD)/man3 | wc -l) pages in section 3, $(words $(MAN_PAGES)) others"
	@touch $@


install: install-man
uninstall: uninstall-man

install-man: man
	@set -e; for d in 1 3 4 7 8; do \
		install -d $(DESTDIR)$(MANDIR)/man$$d; \
		set -- $(MAN_BUILD)/man$$d/*.$$d; \
		[ ! -e "$$1" ] || install -m 0644 "$$@" $(DESTDIR)$(MANDIR)/man$$d/; \
	done

uninstall-man:
	@set -e; for d in 1 3 4 7 8; do \
		for p in $(MAN_BUILD)/man$$d/*.$$d; do \
			[ ! -e "$$p" ] || rm -f $(DESTDIR)$(MANDIR)/man$$d/$${p##*/}; \
		done; \
	done
