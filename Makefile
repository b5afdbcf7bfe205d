# Makefile for the experiments extension (PGXS).
#
#   make                      build experiments.so and the install script
#   make install              install into the server given by PG_CONFIG
#   make installcheck         pg_regress + isolation against a running server
#
# The full test run (throwaway cluster, every suite) is scripts/test; see README.md.

EXTENSION  = experiments
EXTVERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = $(EXTENSION)
SRCS       = $(sort $(wildcard src/common/*.c src/extension/*.c src/experiments/*.c \
                     src/orchestration/*.c src/quota/*.c src/campaigns/*.c))
OBJS       = $(SRCS:.c=.o)

# The 1.0 install script is assembled from one SQL source per concern, in name
# order; released versions are frozen and change only through upgrade scripts.
SQL_SOURCES = $(sort $(wildcard sql/src/*.sql))
DATA_built  = sql/$(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard sql/$(EXTENSION)--*--*.sql)

PG_CPPFLAGS = -I$(srcdir)/src -DEXPERIMENTS_LIBRARY_VERSION=\"$(EXTVERSION)\"
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter

REGRESS        = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS   = --inputdir=test --load-extension=$(EXTENSION)
ISOLATION      = $(patsubst test/specs/%.spec,%,$(sort $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --load-extension=$(EXTENSION)

# Isolation output goes to output_iso/, and pg_isolation_regress looks for
# expected files under it before --inputdir; point it at the shared expected/.
REGRESS_PREP = output_iso/expected

EXTRA_CLEAN = results output_iso regression.diffs regression.out tmp_check build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# sql/src is a prerequisite too, so removing a source also rebuilds the script.
sql/$(EXTENSION)--$(EXTVERSION).sql: $(SQL_SOURCES) sql/src
	cat $(SQL_SOURCES) > $@

# A source file's objects depend on every header, so a changed header rebuilds
# what uses it (the tree is small enough for this to stay cheap).
$(OBJS): $(wildcard src/*/*.h)

output_iso/expected:
	mkdir -p output_iso
	ln -sfn ../expected output_iso/expected
