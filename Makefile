# Thin wrapper over meson: `make run` and `make test` are the README's two commands.
BUILD      ?= build
BUILD_SAN  ?= build-asan
BUILD_FUZZ ?= build-fuzz
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps build run install test unit integration fuzz format format-check bench clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The main job on its embedded defaults: a quick run, table printed, run stored.
run: build
	./$(BUILD)/virtbench compare --profile quick --report virtbench-report.html

# Into $(DESTDIR)$(PREFIX): bin/virtbench, libexec/virtbench/virtbench-agent,
# share/doc/virtbench (docs/install.md). PREFIX is compiled in: the agent is
# looked for there. A relative DESTDIR is taken from here, not from $(BUILD).
# No deps: a packager's chroot needs only the build dependencies.
install: $(BUILD)/build.ninja
	meson configure $(BUILD) -Dprefix=$(PREFIX)
	meson install -C $(BUILD) --destdir "$(if $(DESTDIR),$(abspath $(DESTDIR)))"

$(BUILD_SAN)/build.ninja:
	meson setup $(BUILD_SAN) -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_agent=false

$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_agent=false

# Everything: unit tests (plain and under ASan+UBSan), integration tests as
# root, fuzz smoke runs, clang-format check. Last line: "N passed, N failed".
test: deps $(BUILD)/build.ninja $(BUILD_SAN)/build.ninja $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD)
	ninja -C $(BUILD_SAN)
	ninja -C $(BUILD_FUZZ)
	./tests/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

bench: build
	./bench/harness-overhead.sh

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
