# Makefile - builds mlflowc, its unit tests and benchmarks with plain make.
#
#   make                    build/mlflowc (gcc by default, CC=clang works)
#   make unit               build and run the cmocka unit tests
#   make SANITIZE=1 ...     ASan+UBSan build in build/asan
#   make WERROR=1 ...       warnings are errors (CI)
#   make bench              build the load generator in bench/
#   make install            PREFIX=/usr/local DESTDIR=: the binary, include/mlflowc.h,
#                           libmlflowc.a/.so and mlflowc.pc (make uninstall removes them)
# The test suite as a whole is scripts/test.sh (the README's test command).

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libmicrohttpd jansson sqlite3 expat yaml-0.1 zlib libcurl libcrypto libpq libsodium
# libcurl, libcrypto and libpq are compiled against but not linked: src/base/
# lazylink.c and src/store/pg_lib.c load them on first use, so commands that never reach S3 or
# another server start without their twenty-odd dependencies.
LINKED_PKGS := libmicrohttpd jansson sqlite3 expat yaml-0.1 zlib libsodium

ifeq ($(FUZZ),1)
# libFuzzer builds (make fuzz): clang, every object instrumented for coverage
BUILD := build/fuzz
OPT := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDSAN := -fsanitize=fuzzer,address,undefined
else ifeq ($(SANITIZE),1)
BUILD ?= build/asan
OPT := -O1 -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
LDSAN := -fsanitize=address,undefined,float-cast-overflow
else
BUILD ?= build
OPT := -O2
LDSAN :=
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN += -Werror
endif

CFLAGS ?= -g
# Every object may go into libmlflowc.so (-fPIC) and hides its symbols:
# include/mlflowc.h marks the public API visible, nothing else is exported.
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden -MMD -MP \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS := $(shell $(PKG_CONFIG) --libs $(LINKED_PKGS)) -lpthread -lm -ldl

CORE_SRC := $(filter-out src/cli/main.c src/client/client_nolocal.c,$(wildcard src/*/*.c))
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
# The web UI: web/ is built with npm + Vite and embedded as a generated C
# file (tools/ui-build.sh); it is linked into the library with the rest.
UI_GEN := $(BUILD)/gen/ui_assets.c
UI_OBJ := $(BUILD)/gen/ui_assets.o
UI_DEPS := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json web/package-lock.json \
	web/vite.config.ts web/tsconfig.json tools/ui-build.sh tools/embed-ui.mjs
# The python_function flavor's worker program, embedded as a C string.
PYW_GEN := $(BUILD)/gen/pyworker_py.c
PYW_OBJ := $(BUILD)/gen/pyworker_py.o
# The client library, libmlflowc: base, json and the HTTP client only (local
# mode, which runs the server's router and store in-process, is replaced by
# client_nolocal.c). A host program links jansson and libc's pthread, m and dl;
# libcurl and libcrypto are loaded on first use (lazylink.c). The static
# archive is one partially linked object whose hidden symbols are made local,
# so no internal name can clash with the host's. libmlflowc-server.a is the
# whole program but main() (server, UI, CLI, the client with local mode),
# linked by the binary, the unit tests and programs that want local mode;
# libcore.a is the same without the UI, for the fuzzers.
LIB_SRC := $(wildcard src/base/*.c src/json/*.c) $(filter-out src/client/client_local.c,$(wildcard src/client/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_PKGS := jansson
LIB_LIBS := $(shell $(PKG_CONFIG) --libs $(LIB_PKGS)) -lpthread -lm -ldl
LIB_VERSION := $(shell sed -n 's/^\#define MLFLOWC_VERSION "\(.*\)"/\1/p' include/mlflowc.h)
LIB_SOVERSION := 0
LIB_SO := $(BUILD)/libmlflowc.so.$(LIB_VERSION)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all unit bench clean
all: $(BUILD)/mlflowc $(BUILD)/libmlflowc.a $(BUILD)/libmlflowc.so

# `make V=1` shows the full command lines
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(UI_GEN): $(UI_DEPS)
	$(Q)tools/ui-build.sh $@

$(UI_OBJ): $(UI_GEN) src/api/ui.h
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -I. -c $< -o $@

$(PYW_GEN): src/model/pyworker.py tools/embed-text
	$(Q)tools/embed-text pyworker_py $< $@

$(PYW_OBJ): $(PYW_GEN)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libmlflowc-client.o: $(LIB_OBJ)
	@$(if $(V),,echo "  LD -r   $@")
	$(Q)$(LD) -r -o $@.tmp $^
	$(Q)objcopy --localize-hidden $@.tmp $@
	@rm -f $@.tmp

$(BUILD)/libmlflowc.a: $(BUILD)/libmlflowc-client.o
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/libmlflowc-server.a: $(CORE_OBJ) $(UI_OBJ) $(PYW_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(LIB_SO): $(LIB_OBJ)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) -shared $(LDSAN) -Wl,-soname,libmlflowc.so.$(LIB_SOVERSION) $(if $(LDSAN),,-Wl,-z,defs) -o $@ $^ \
		$(LIB_LIBS)

$(BUILD)/libmlflowc.so: $(LIB_SO)
	$(Q)ln -sf $(notdir $(LIB_SO)) $(BUILD)/libmlflowc.so.$(LIB_SOVERSION)
	$(Q)ln -sf libmlflowc.so.$(LIB_SOVERSION) $@

$(BUILD)/mlflowc: $(MAIN_OBJ) $(BUILD)/libmlflowc-server.a
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDSAN) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmlflowc-server.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/libmlflowc-server.a $(LDSAN) $(LIBS) -lcmocka

# tests/blackbox/test_pyflavor.py and bench/pyflavor.py drive the
# python_function flavor through this program (see its header).
$(BUILD)/tests/pyflavor_drive: tests/pyflavor/drive.c $(BUILD)/libmlflowc-server.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/libmlflowc-server.a $(LDSAN) $(LIBS)

unit: $(UNIT_BIN) $(BUILD)/tests/pyflavor_drive
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# (loadgen_pg.c talks to PostgreSQL itself for the COPY ceiling: -lpq directly)
$(BUILD)/bench/loadgen: bench/loadgen.c bench/loadgen_pg.c bench/loadgen_pg.h $(BUILD)/libmlflowc-server.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ bench/loadgen.c bench/loadgen_pg.c $(BUILD)/libmlflowc-server.a $(LDSAN) \
		$(LIBS) -lcurl -lpq

bench: $(BUILD)/mlflowc $(BUILD)/bench/loadgen

# The client library's benchmark: build/bench/client_bench URL (see its header).
# (linked with the server archive, so that URL may also be a sqlite:// URI)
$(BUILD)/bench/client_bench: bench/client_bench.c $(BUILD)/libmlflowc-server.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libmlflowc-server.a $(LDSAN) $(LIBS) -lcurl
bench: $(BUILD)/bench/client_bench

# The native xgboost flavor's benchmark: build/bench/xgb_bench MODEL_DIR
# (predictions/s through flavor_xgboost.predict, no HTTP; see its header).
$(BUILD)/bench/xgb_bench: bench/xgb_bench.c $(BUILD)/libmlflowc-server.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/libmlflowc-server.a $(LDSAN) $(LIBS)
bench: $(BUILD)/bench/xgb_bench


# The client library's example program: `make examples` builds
# build/examples/train (see examples/train.c and the README's client section).
$(BUILD)/examples/%: examples/%.c include/mlflowc.h $(BUILD)/libmlflowc.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Iinclude -o $@ $< $(BUILD)/libmlflowc.a $(LDSAN) $(LIB_LIBS)
# examples/c_model.c is a model for the c_function flavor: a shared object
# with the ABI of include/mlflowc_model.h; log_c_model logs and registers one.
$(BUILD)/examples/c_model.so: examples/c_model.c include/mlflowc_model.h
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) -std=c11 -O2 $(WARN) -shared -fPIC -Iinclude -o $@ $< -lm
.PHONY: examples
examples: $(BUILD)/examples/train $(BUILD)/examples/log_c_model $(BUILD)/examples/c_model.so

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, seeds in tests/fuzz/corpus/NAME/.
#   make fuzz               builds them (clang, ASan+UBSan) into build/fuzz and runs
#                           each for FUZZ_SECONDS (default 30); any finding fails
#   make fuzz-long          the same for FUZZ_LONG_SECONDS each (default 3 hours)
# Findings are written as build/fuzz/NAME-crash-*; what a run learns stays in
# build/fuzz/corpus/NAME. When ../shared/conformance exists, the filters,
# bodies, URLs and page tokens of its transcripts are extracted into
# build/fuzz/seeds/NAME (tests/fuzz/seeds_from_conformance.py) and given to
# libFuzzer as one more corpus directory; they are never committed.
FUZZ_SECONDS ?= 30
FUZZ_LONG_SECONDS ?= 10800
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
.PHONY: fuzz fuzz-long fuzz-build fuzz-seeds
$(BUILD)/libcore.a: $(CORE_OBJ) $(PYW_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^
$(BUILD)/fuzzers/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libcore.a
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZER  $@")
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc -o $@ $< $(BUILD)/libcore.a $(LDSAN) $(LIBS)
fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzzers/fuzz_%)
fuzz-seeds:
	@if [ -d ../shared/conformance/transcripts ]; then \
		/usr/bin/python3 tests/fuzz/seeds_from_conformance.py ../shared/conformance build/fuzz/seeds; fi
fuzz: fuzz-seeds
	$(MAKE) FUZZ=1 CC=clang fuzz-build
	@set -e; for n in $(FUZZ_NAMES); do \
		mkdir -p build/fuzz/corpus/$$n; \
		extra=; [ -d build/fuzz/seeds/$$n ] && extra=build/fuzz/seeds/$$n; \
		echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
		build/fuzz/fuzzers/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
			-artifact_prefix=build/fuzz/$$n- build/fuzz/corpus/$$n tests/fuzz/corpus/$$n $$extra; \
	done
fuzz-long:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_LONG_SECONDS)

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the public header,
# both libraries (with the soname links) and mlflowc.pc for pkg-config.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
.PHONY: install uninstall
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 755 $(BUILD)/mlflowc $(DESTDIR)$(BINDIR)/mlflowc
	install -m 644 include/mlflowc.h $(DESTDIR)$(INCLUDEDIR)/mlflowc.h
	install -m 644 $(BUILD)/libmlflowc.a $(DESTDIR)$(LIBDIR)/libmlflowc.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/$(notdir $(LIB_SO))
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libmlflowc.so.$(LIB_SOVERSION)
	ln -sf libmlflowc.so.$(LIB_SOVERSION) $(DESTDIR)$(LIBDIR)/libmlflowc.so
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIB_VERSION)|; s|@REQUIRES_PRIVATE@|$(LIB_PKGS)|' tools/mlflowc.pc.in \
		>$(DESTDIR)$(PKGCONFIGDIR)/mlflowc.pc
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mlflowc $(DESTDIR)$(INCLUDEDIR)/mlflowc.h $(DESTDIR)$(LIBDIR)/libmlflowc.a \
		$(DESTDIR)$(LIBDIR)/$(notdir $(LIB_SO)) $(DESTDIR)$(LIBDIR)/libmlflowc.so.$(LIB_SOVERSION) \
		$(DESTDIR)$(LIBDIR)/libmlflowc.so $(DESTDIR)$(PKGCONFIGDIR)/mlflowc.pc

clean:
	rm -rf build

-include $(CORE_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)
