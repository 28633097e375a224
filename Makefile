# minivmm build. Sources are found by directory, so a new file in a subsystem needs no edit here;
# a subsystem that needs extra targets (guests, tools) adds a module.mk next to its sources.
#
#   make              ./minivmm and ./minivmm-img
#   make SANITIZE=1   the same with ASan+UBSan, in build-san/ (build-san/minivmm ...)
#   make check        set up, build, build guests, run every test (tests/run-all.sh)
#   make demo         set up, build, boot the default guest
#   make guests       kernels + initramfs + bare-metal test guests (cached outside the tree)
#   make bench        benchmarks against QEMU and qemu-img (bench-x86, bench-arm64, bench-block)

CC      ?= gcc
NPROC   := $(shell nproc 2>/dev/null || echo 2)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wpointer-arith \
           -D_GNU_SOURCE -I. -MMD -MP -pthread
LDLIBS  += -lfdt -lcapstone -lelf -lz -lzstd -lm -pthread

ifeq ($(SANITIZE),1)
B       := build-san
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BIN     := $(B)
else
B       := build
BIN     := .
endif

LIB_SRCS  := $(sort $(wildcard vmm/*.c arch/x86/*.c arch/arm64/*.c devices/*.c devices/virtio/*.c \
                               devices/block/*.c boot/*.c))
LIB_SRCS  := $(filter-out vmm/main.c,$(LIB_SRCS))
IMG_SRCS  := $(sort $(wildcard tools/img/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
DIFF_SRCS := $(sort $(wildcard tests/diff/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
IMG_OBJS  := $(IMG_SRCS:%.c=$(B)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(B)/%.o)
DIFF_OBJS := $(DIFF_SRCS:%.c=$(B)/%.o)

PROGS := $(BIN)/minivmm $(if $(IMG_SRCS),$(BIN)/minivmm-img)

all: $(PROGS)
.PHONY: all tests check demo guests clean deps

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN)/minivmm: $(B)/vmm/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BIN)/minivmm-img: $(IMG_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# CUnit unit tests: every tests/unit/*.c registers its suites itself (tests/unit/unit.h).
$(B)/test-unit: $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcunit

# Differential instruction tests against unicorn (test-only dependency).
$(B)/test-diff: $(DIFF_OBJS) $(B)/tests/unit/main.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lunicorn -lcunit

tests: $(PROGS) $(B)/test-unit $(if $(DIFF_SRCS),$(B)/test-diff)

# Guests and other extra targets from subsystems.
GUEST_TARGETS :=
-include $(sort $(wildcard */module.mk */*/module.mk))

guests: $(GUEST_TARGETS)
	guests/build-all.sh

# Benchmarks (not tests): each prints minivmm against its peer (QEMU, qemu-img) measured in the same run.
bench: bench-x86 bench-arm64 bench-block
.PHONY: bench

deps:
	scripts/install-deps.sh

check: deps
	$(MAKE) -j$(NPROC) all tests
	$(MAKE) -j$(NPROC) SANITIZE=1 all tests
	$(MAKE) -j$(NPROC) guests
	tests/run-all.sh

demo: deps
	$(MAKE) -j$(NPROC) all
	$(MAKE) -j$(NPROC) guests
	scripts/demo.sh

clean:
	rm -rf build build-san minivmm minivmm-img

-include $(LIB_OBJS:.o=.d) $(IMG_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(DIFF_OBJS:.o=.d) $(B)/vmm/main.d
