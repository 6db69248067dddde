# Makefile for charrnn: GNU make. CFLAGS is yours; the project's warnings live in WARN.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    ?= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man/man1
BUILD   ?= build/release
CONFIG_CFLAGS ?=

CPPFLAGS_ALL = -Iinclude -Isrc/lib -D_POSIX_C_SOURCE=200809L $(CPPFLAGS)
CFLAGS_ALL   = -std=c11 $(WARN) $(CONFIG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS_ALL   = -lm -lpthread $(LDLIBS)

LIB_SRC   = $(wildcard src/lib/*.c)
LIB_OBJ   = $(LIB_SRC:src/lib/%.c=$(BUILD)/lib/%.o)
LIB       = $(BUILD)/libcharrnn.a
# The tools. Each is its main source, src/tools/NAME.c with '_' for the '-' of its name (so
# src/tools/train_charrnn.c for train-charrnn), linked with the shared tool objects below.
TOOLS     = clean tokenize train-charrnn sample dump trace charrnn score
TOOL_BINS = $(TOOLS:%=bin/%)
tool_main = $(BUILD)/tools/$(subst -,_,$(1)).o
# What the tools share: cli.c, and the files of src/tools/common/ (pictures, JSON, how a
# character is shown), one object per file named here; fuzz targets link them too.
CLI_NAMES = cli common/chart common/json_writer common/show common/term
CLI_OBJ   = $(CLI_NAMES:%=$(BUILD)/tools/%.o)
TEST_SRC  = $(wildcard tests/unit/*.c)
TEST_OBJ  = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%.o)
TEST_BIN  = $(BUILD)/run-tests
TEST_TOOLS = $(BUILD)/test-tools/ckpt-state $(BUILD)/test-tools/ckpt-break
# fuzz targets: tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/seeds/NAME/
FUZZ_NAMES = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY = $(FUZZ_NAMES:%=$(BUILD)/fuzz-replay/%)
FUZZ_SECONDS ?= 60

.PHONY: all test asan bench fuzz fuzz-run valgrind demo install uninstall dist clean
all: $(TOOL_BINS) $(LIB)

$(BUILD)/lib/%.o: src/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tools/%.o: src/tools/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# dump --html: the page of src/tools/page/ as C arrays (embed.sh, with od and awk) and the code that
# fills it in (common/web_page.c); only dump links them, named first so the library comes after.
PAGE_SRC = src/tools/page/page.html src/tools/page/page.css src/tools/page/page.js
PAGE_OBJ = $(BUILD)/tools/common/web_page.o $(BUILD)/gen/page_assets.o
$(BUILD)/gen/page_assets.c: $(PAGE_SRC) src/tools/page/embed.sh
	@mkdir -p $(@D)
	sh src/tools/page/embed.sh $(PAGE_SRC) > $@.tmp && mv -f $@.tmp $@
$(BUILD)/gen/page_assets.o: $(BUILD)/gen/page_assets.c
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/bin/dump: $(PAGE_OBJ)

# sample's interactive modes (--chat, --choose), in src/tools/sample/ (before the library)
SAMPLE_NAMES = sample/interact sample/chat sample/choose
$(BUILD)/bin/sample: $(SAMPLE_NAMES:%=$(BUILD)/tools/%.o)
$(foreach t,$(TOOLS),$(eval $(BUILD)/bin/$(t): $(call tool_main,$(t)) $(CLI_OBJ) $(LIB)))
$(TOOLS:%=$(BUILD)/bin/%):
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) $^ $(LDLIBS_ALL) -o $@

# bin/ holds the tools of the last build configuration
bin/%: $(BUILD)/bin/%
	@mkdir -p bin
	cp $< $@.tmp && mv -f $@.tmp $@

.PRECIOUS: $(BUILD)/tools/%.o $(BUILD)/bin/%

$(TEST_BIN): $(TEST_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) $^ $(LDLIBS_ALL) -o $@

# (programs compiled and linked in one go: their .d files add headers to $^, hence SOURCES)
SOURCES = $(filter %.c %.o %.a,$^)
$(BUILD)/test-tools/ckpt-%: tests/tools/ckpt_%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) $(SOURCES) $(LDLIBS_ALL) -o $@

# A fuzz target built as a plain program that replays files: its seeds run in make test.
$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(CLI_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) -Isrc/tools $(CFLAGS_ALL) $(LDFLAGS) $(SOURCES) $(LDLIBS_ALL) -o $@

# Unit tests, seed replays, then the command-line tests against the tools in $(BUILD)/bin.
test: $(TEST_BIN) $(TEST_TOOLS) $(FUZZ_REPLAY) $(TOOLS:%=$(BUILD)/bin/%)
	@BIN=$(abspath $(BUILD)/bin) TEST_BIN=$(abspath $(TEST_BIN)) \
	  TOOLS_BIN=$(abspath $(BUILD)/test-tools) FUZZ_BIN=$(abspath $(BUILD)/fuzz-replay) \
	  FUZZ_NAMES="$(FUZZ_NAMES)" sh tests/run.sh

# Each fuzz target under libFuzzer with AddressSanitizer and UBSan for FUZZ_SECONDS; new
# inputs go to build/fuzz/work/NAME, the committed seeds are only read.
FUZZ_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
fuzz:
	$(MAKE) fuzz-run BUILD=build/fuzz CC=clang CFLAGS="-O1 -g" \
	  CONFIG_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_FLAGS)"

fuzz-run: $(LIB) $(CLI_OBJ)
	@mkdir -p $(BUILD)/bin
	@set -e; for n in $(FUZZ_NAMES); do \
	  $(CC) $(CPPFLAGS_ALL) -Isrc/tools $(CFLAGS_ALL) -fsanitize=fuzzer $(FUZZ_FLAGS) \
	    tests/fuzz/fuzz_$$n.c $(CLI_OBJ) $(LIB) $(LDLIBS_ALL) -o $(BUILD)/bin/fuzz_$$n; \
	  mkdir -p $(BUILD)/work/$$n; \
	  echo "fuzz_$$n: $(FUZZ_SECONDS) s" >&2; \
	  if ! $(BUILD)/bin/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=$(BUILD)/work/$$n- $(BUILD)/work/$$n \
	    tests/fuzz/seeds/$$n > $(BUILD)/work/$$n.log 2>&1; then \
	    tail -40 $(BUILD)/work/$$n.log; \
	    echo "fuzz_$$n failed: the input is in $(BUILD)/work/$$n-*; add it to the seeds" >&2; \
	    exit 1; \
	  fi; \
	  grep -E '^stat::(number_of_executed_units|new_units_added)' $(BUILD)/work/$$n.log; \
	done

# Speed: training and sampling throughput, the machine's FMA peak, and PyTorch when present.
CORPUS ?= ../shared/corpora/tinyshakespeare.txt
$(BUILD)/bench: tests/bench/bench.c $(LIB)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS) $(SOURCES) $(LDLIBS_ALL) -o $@

bench: $(BUILD)/bench $(BUILD)/bin/train-charrnn
	@BENCH=$(abspath $(BUILD)/bench) CORPUS=$(CORPUS) sh tests/bench/run.sh

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) test BUILD=build/asan CC=clang CFLAGS="-O1 -g" \
	  CONFIG_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined"

# The README's examples (its sh blocks, with --time cut to 2 s and new models of 1 x 32 for
# speed) with every tool under valgrind's memcheck: no memory error and no definite or indirect
# leak in any process of any pipeline. Blocks still reachable when a tool exits through
# cli_die are allowed. Logs: build/valgrind/vg.PID. (The tools of $(BUILD), not bin/, which
# may hold another configuration's.)
# one space, to join TOOLS with \| below
space := $(subst ,, )
VALGRIND_RUN = valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect
VALGRIND_SED = -e 's/--time [0-9]*/--time 2/g' -e 's/train-charrnn --resume/TRAIN_RESUME/g' \
  -e 's/train-charrnn /train-charrnn --hidden 32 --layers 1 /g' \
  -e 's/TRAIN_RESUME/train-charrnn --resume/g' \
  -e 's!\(^\||\) *\($(subst $(space),\|,$(TOOLS))\) !\1 $(VALGRIND_RUN) --log-file="$$W/vg.%p" $(abspath $(BUILD)/bin)/\2 !g'
valgrind: $(TOOLS:%=$(BUILD)/bin/%)
	@command -v valgrind > /dev/null || { echo "make valgrind: valgrind is missing (apt-get install -y valgrind)" >&2; exit 2; }
	@rm -rf build/valgrind && mkdir -p build/valgrind/run && ln -s $(abspath corpora) build/valgrind/run/corpora
	@W=$(abspath build/valgrind); export W; bad=0; \
	awk '/^```sh$$/ { on = 1; next } /^```$$/ { on = 0 } on' README.md | sed 's/[[:space:]]*#.*$$//' | \
	  grep -v '^make ' | grep -v '^$$' > $$W/examples; \
	while IFS= read -r cmd; do \
	  echo "valgrind: $$cmd" >&2; \
	  vcmd=$$(printf '%s\n' "$$cmd" | sed $(VALGRIND_SED)) || exit 2; \
	  (cd $$W/run && sh -c "$$vcmd" < /dev/null) > $$W/out 2> $$W/err || \
	    { echo "make valgrind: '$$cmd' exited $$?: $$(tail -2 $$W/err)" >&2; bad=1; }; \
	done < $$W/examples; \
	for f in $$W/vg.*; do \
	  grep -q 'ERROR SUMMARY: 0 errors' $$f || { cat $$f >&2; bad=1; }; \
	done; \
	n=$$(ls $$W | grep -c '^vg\.'); [ $$n -gt 0 ] || bad=1; \
	if [ $$bad -eq 0 ]; then echo "valgrind: $$n processes, no errors, no leaks" >&2; \
	else echo "make valgrind: failed (logs in $$W)" >&2; exit 1; fi

# A release folder that runs on any x86-64 Linux with nothing installed: the tools linked
# statically against musl (Debian's musl-tools), the man pages, the corpora and the docs, and
# its tarball. CI runs the README's examples with these binaries (tests/dist.sh).
VERSION   = $(shell sed -n 's/^\#define CR_VERSION "\(.*\)"/\1/p' include/charrnn.h)
DIST_NAME = charrnn-$(VERSION)-$(shell uname -m)-linux
DIST      = dist/$(DIST_NAME)
dist:
	@command -v musl-gcc > /dev/null || { echo "make dist: musl-gcc is missing (apt-get install -y musl-tools)" >&2; exit 2; }
	$(MAKE) $(TOOLS:%=build/dist/bin/%) BUILD=build/dist CC=musl-gcc LDFLAGS=-static
	rm -rf $(DIST) && mkdir -p $(DIST)/bin $(DIST)/man/man1 $(DIST)/docs $(DIST)/corpora
	cp $(TOOLS:%=build/dist/bin/%) $(DIST)/bin/
	cp docs/*.1 $(DIST)/man/man1/
	cp docs/*.md $(DIST)/docs/
	cp -R docs/*.svg docs/workshop $(DIST)/docs/
	cp corpora/*.txt corpora/*.md corpora/*.tsv $(DIST)/corpora/
	cp README.md LICENSE $(DIST)/
	tar czf $(DIST).tar.gz -C dist $(DIST_NAME)
	@echo "make dist: $(DIST) and $(DIST).tar.gz" >&2

DEMO_CORPUS = corpora/harbour-almanac.txt
# A bot in a minute, with the settings train-charrnn chooses for this corpus and budget.
demo: all
	@echo "Training a bot on $(DEMO_CORPUS) for a minute..." >&2
	bin/train-charrnn --time 60 -o demo.ckpt $(DEMO_CORPUS)
	@echo "Sampling 600 characters from demo.ckpt (try: bin/sample -t 0.5 demo.ckpt):" >&2
	bin/sample -n 600 -t 0.7 demo.ckpt

# The workshop lessons (docs/workshop/NN-NAME.sh): each run with its real settings (minutes of
# training), and its commands and their output written into its page, NN-NAME.md. LESSONS names
# some of the scripts (all without it). tests/cli/workshop.sh checks the pages and runs the
# lessons quickly.
.PHONY: workshop
workshop: $(TOOLS:%=$(BUILD)/bin/%)
	@BIN=$(abspath $(BUILD)/bin) sh tests/workshop_pages.sh $(LESSONS)

# Installed names must not clash with other programs (Debian's dump(8), tc-sample(8)): each tool
# is installed as charrnn-NAME (train-charrnn as charrnn-train), with its man page under that
# name, beside the charrnn front command; the library goes with its header and a pkg-config file.
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
installed = $(if $(filter charrnn,$(1)),charrnn,charrnn-$(patsubst %-charrnn,%,$(1)))
# the man pages as installed: each tool's name in titles, NAME lines, cross-references, its own
# lines (.B NAME) and the command lines of examples, as installed
MAN_RENAME = $(foreach t,$(TOOLS),-e 's/^\.TH $(shell echo $(t) | tr a-z A-Z) /.TH $(shell echo $(call installed,$(t)) | tr a-z A-Z) /' \
  -e 's/^$(subst -,\\-,$(t)) \\-/$(subst -,\\-,$(call installed,$(t))) \\-/' \
  -e 's/^$(t) \\-/$(subst -,\\-,$(call installed,$(t))) \\-/' \
  -e 's/^\.BR $(subst -,\\-,$(t)) (1)/.BR $(subst -,\\-,$(call installed,$(t))) (1)/' \
  -e 's/^\.B $(subst -,\\-,$(t))$$/.B $(subst -,\\-,$(call installed,$(t)))/' \
  -e 's/^$(subst -,\\-,$(t)) /$(subst -,\\-,$(call installed,$(t))) /' \
  -e 's/| $(subst -,\\-,$(t))\( \|$$\)/| $(subst -,\\-,$(call installed,$(t)))\1/g')
install: $(TOOLS:%=$(BUILD)/bin/%) $(LIB)
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)
	$(foreach t,$(TOOLS),cp $(BUILD)/bin/$(t) $(DESTDIR)$(BINDIR)/$(call installed,$(t)) &&) true
	$(foreach t,$(TOOLS),sed $(MAN_RENAME) docs/$(t).1 > $(DESTDIR)$(MANDIR)/$(call installed,$(t)).1 &&) true
	cp $(LIB) $(DESTDIR)$(LIBDIR)/libcharrnn.a
	cp include/charrnn.h $(DESTDIR)$(INCDIR)/charrnn.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	  -e 's|@VERSION@|$(shell sed -n 's/^\#define CR_VERSION "\(.*\)"/\1/p' include/charrnn.h)|' \
	  charrnn.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/charrnn.pc

uninstall:
	$(foreach t,$(TOOLS),rm -f $(DESTDIR)$(BINDIR)/$(call installed,$(t)) $(DESTDIR)$(MANDIR)/$(call installed,$(t)).1 &&) true
	rm -f $(DESTDIR)$(LIBDIR)/libcharrnn.a $(DESTDIR)$(INCDIR)/charrnn.h $(DESTDIR)$(LIBDIR)/pkgconfig/charrnn.pc

clean:
	rm -rf build bin dist demo.ckpt

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(wildcard $(BUILD)/tools/*.d $(BUILD)/tools/common/*.d $(BUILD)/test-tools/*.d \
  $(BUILD)/fuzz-replay/*.d $(BUILD)/*.d)
