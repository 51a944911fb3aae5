# asl: build, test and tooling. `make help` lists the targets.
CC ?= cc
CFLAGS ?= -O2 -g
WARN = -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -I/usr/include/mariadb
LIBS = -lcjson -lcrypto -lsqlite3 -lmicrohttpd -lgvc -lcgraph -lcdt -lmariadb -lpcre2-8 -lcsv -lcurl -lsnappy -lzstd -lz -lpthread -lm
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRCS := $(wildcard engine/*.c) $(wildcard engine/jsonata/*.c) $(wildcard states/*.c) $(wildcard states/integrations/*.c) $(wildcard lake/*.c) $(wildcard web/*.c) $(wildcard deploy/*.c) $(filter-out cli/main.c,$(wildcard cli/*.c))
HDRS := $(wildcard engine/*.h) $(wildcard engine/jsonata/*.h) $(wildcard states/*.h) $(wildcard states/integrations/*.h) $(wildcard lake/*.h) $(wildcard web/*.h) $(wildcard deploy/*.h) $(wildcard cli/*.h) tests/unit/t.h
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# The web UI's files, embedded in the binary as C (web/ui_assets.h).
UI_ASSETS := $(sort $(wildcard web/assets/*))

.PHONY: all deps run test unit conformance sanitize fuzz format clean help bench

all: build/asl

help:
	@echo "make deps        install Debian packages the build and tests need"
	@echo "make             build build/asl"
	@echo "make run         deps + build + run the ETL demo (workflows/etl.json)"
	@echo "make test        deps + sanitizer build + every test, ends 'N passed, N failed'"
	@echo "make sanitize    build build-san/asl with ASan and UBSan"
	@echo "make fuzz        libFuzzer on the loader, paths, intrinsics, resume, API, graph"
	@echo "make format      clang-format every C file"

deps:
	@sh scripts/deps.sh

# ---- normal build ----
build/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC $<"; $(CC) $(CFLAGS) $(WARN) -c $< -o $@

build/gen/ui_assets.c: $(UI_ASSETS) scripts/embed_assets.py
	@mkdir -p $(dir $@)
	python3 scripts/embed_assets.py $@ $(UI_ASSETS)

build/gen/ui_assets.o: build/gen/ui_assets.c web/ui_assets.h
	$(CC) $(CFLAGS) $(WARN) -c $< -o $@

build/libasl.a: $(patsubst %.c,build/%.o,$(LIB_SRCS)) build/gen/ui_assets.o
	@rm -f $@
	ar rcs $@ $^

build/asl: build/cli/main.o build/libasl.a
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# ---- sanitizer build: what `make test` runs ----
build-san/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC(san) $<"; $(CC) -O1 -g $(SAN) $(WARN) -c $< -o $@

build-san/gen/ui_assets.o: build/gen/ui_assets.c web/ui_assets.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(WARN) -c $< -o $@

build-san/libasl.a: $(patsubst %.c,build-san/%.o,$(LIB_SRCS)) build-san/gen/ui_assets.o
	@rm -f $@
	ar rcs $@ $^

build-san/asl: build-san/cli/main.o build-san/libasl.a
	$(CC) $(SAN) -o $@ $^ $(LIBS)

build-san/t/%: tests/unit/%.c build-san/libasl.a $(HDRS)
	@mkdir -p build-san/t
	$(CC) -O1 -g $(SAN) $(WARN) -o $@ $< build-san/libasl.a $(LIBS)

build-san/conformance: tests/conformance.c build-san/libasl.a $(HDRS)
	$(CC) -O1 -g $(SAN) $(WARN) -o $@ $< build-san/libasl.a $(LIBS)

build-san/jsonata_suite: tests/jsonata_suite.c build-san/libasl.a $(HDRS)
	$(CC) -O1 -g $(SAN) $(WARN) -o $@ $< build-san/libasl.a $(LIBS)

sanitize: build-san/asl

UNIT_BINS := $(patsubst tests/unit/%.c,build-san/t/%,$(UNIT_SRCS))

build/conformance: tests/conformance.c build/libasl.a $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -o $@ $< build/libasl.a $(LIBS)

build/jsonata_suite: tests/jsonata_suite.c build/libasl.a $(HDRS)
	$(CC) $(CFLAGS) $(WARN) -o $@ $< build/libasl.a $(LIBS)

test: deps
	@$(MAKE) --no-print-directory build-san/asl build-san/conformance build-san/jsonata_suite $(UNIT_BINS) build/asl build/conformance build/jsonata_suite
	@sh scripts/test.sh build-san build

# Faster loop without deps or sanitizers.
unit: build/libasl.a
	@$(MAKE) --no-print-directory build-san/asl build-san/conformance build-san/jsonata_suite $(UNIT_BINS) build/asl build/conformance build/jsonata_suite
	@sh scripts/test.sh build-san build

run: deps build/asl
	@sh scripts/demo.sh ./build/asl

# ---- fuzzing (clang libFuzzer) ----
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined $(WARN)
fuzz: build/gen/ui_assets.c
	@mkdir -p build-fuzz
	@for f in fuzz/fuzz_*.c; do \
	  n=$$(basename $$f .c); \
	  clang $(FUZZ_FLAGS) -o build-fuzz/$$n $$f $(LIB_SRCS) build/gen/ui_assets.c $(LIBS) || exit 1; \
	  mkdir -p build-fuzz/corpus-$$n; \
	  echo "== $$n ($${FUZZ_SECONDS:-30}s)"; \
	  ./build-fuzz/$$n -max_total_time=$${FUZZ_SECONDS:-30} -max_len=4096 \
	    build-fuzz/corpus-$$n fuzz/seeds/$$n 2>&1 | tail -3 || exit 1; \
	done

format:
	clang-format -i $$(find engine states web deploy cli tests fuzz -name '*.[ch]')

clean:
	rm -rf build build-san build-fuzz

bench: build/asl
	python3 bench/bench.py
